import { openSync, writeSync } from 'node:fs';
import { type Logger, logger as serviceLogger } from '#observability/logger.ts';
import { THROTTLED_MESSAGE } from '../../test/support/partition-model.ts';
import { CommandFailure } from '../cli/cli.ts';

/** What the bench keeps of its functions' log while it runs. */
export interface FunctionLog {
  /** The file every line goes to. */
  readonly file: string;
  /** Calls that failed because the partition model throttled them past the SDK's retries: on purpose. */
  readonly throttled: number;
  /** Throws a {@link CommandFailure} if the functions logged a warning or an error the bench did not mean. */
  check(): void;
}

interface LogRecord {
  readonly level?: string;
  readonly message?: string;
  readonly error?: { readonly name?: string; readonly message?: string };
}

// The one line error-mapper writes for a call the model throttled until the SDK gave up.
const throttledByTheModel = (record: LogRecord): boolean =>
  record.level === 'ERROR' &&
  record.message === 'dynamodb unavailable after retries' &&
  record.error?.name === 'ProvisionedThroughputExceededException' &&
  record.error.message === THROTTLED_MESSAGE;

const described = (record: LogRecord): string =>
  `${record.level} "${record.message}"${record.error ? ` (${record.error.name}: ${record.error.message})` : ''}`;

/**
 * Routes the functions' log lines (INFO and up, whatever `LOG_LEVEL` says) to `file` instead of
 * the bench's stdout and stderr, and reads the warnings and errors among them: those of calls the
 * partition model throttled on purpose are counted; any other is a failure of the run, which
 * {@link FunctionLog.check} reports.
 */
export const keepFunctionLog = (file: string, target: Logger = serviceLogger): FunctionLog => {
  const fd = openSync(file, 'w');
  let throttled = 0;
  let unexpected = 0;
  let first: string | undefined;
  target.routeTo((line, level) => {
    writeSync(fd, line);
    if (level !== 'WARN' && level !== 'ERROR') return;
    const record = JSON.parse(line) as LogRecord;
    if (throttledByTheModel(record)) throttled += 1;
    else {
      unexpected += 1;
      first ??= described(record);
    }
  }, 'INFO');
  return {
    file,
    get throttled() {
      return throttled;
    },
    check: () => {
      if (unexpected === 0) return;
      throw new CommandFailure(
        `the functions logged ${unexpected} warning(s) or error(s) the bench did not mean, the first: ${first}; their lines are in ${file}`,
      );
    },
  };
};
