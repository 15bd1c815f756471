import { SERVICE_NAME } from '#app/config.ts';

/** The levels, least to most severe; `SILENT` writes nothing (the tests set it). */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The invocation a line belongs to, as Lambda's context gives it. */
export interface LogContext {
  readonly functionName: string;
  readonly awsRequestId: string;
}

/** Where a line goes: one JSON document and its newline, written whole (Lambda ships stdout and stderr). */
export type LineSink = (line: string, level: LogLevel) => void;

// As `console` does: records for attention on stderr, the rest on stdout, so a command that
// prints its result on stdout (`npm run invoke`, the bench) keeps it clean.
const standardStreams: LineSink = (line, level) =>
  (level === 'WARN' || level === 'ERROR' ? process.stderr : process.stdout).write(line);

const levelOf = (value: string | undefined): LogLevel => {
  const upper = value?.toUpperCase();
  return LOG_LEVELS.find((level) => level === upper) ?? 'INFO';
};

// An Error's own fields are not enumerable: JSON.stringify would write `{}` and lose the stack.
const serializable = (_key: string, value: unknown): unknown =>
  value instanceof Error
    ? { ...value, name: value.name, message: value.message, stack: value.stack, cause: value.cause }
    : typeof value === 'bigint'
      ? value.toString()
      : value;

/**
 * The service's structured logger: one JSON line per record with `level`, `message`,
 * `timestamp`, `service`, the invocation's `function_request_id` (the request id every answer
 * carries in `X-Request-Id`), `cold_start`, `function_name` and the record's own attributes: the
 * keys Powertools Logger writes, so queries and alarms read the same fields. Written with
 * `process.stdout.write` (WARN and ERROR to stderr), not `console`, which Lambda patches to prefix
 * each line with text. Its level comes from `LOG_LEVEL` (default INFO). Why not Powertools
 * itself: docs/design.md, "A lean data plane".
 */
export class Logger {
  #threshold: number;
  #sink: LineSink;
  #context: Record<string, unknown> = {};
  #coldStart = true;

  constructor({
    level = levelOf(process.env.LOG_LEVEL),
    sink = standardStreams,
  }: { readonly level?: LogLevel; readonly sink?: LineSink } = {}) {
    this.#threshold = LOG_LEVELS.indexOf(level);
    this.#sink = sink;
  }

  /**
   * Sends the lines that follow to `sink` from `level` up, in place of the standard streams and
   * `LOG_LEVEL`: for a process that hosts the functions and keeps their lines itself (`npm run
   * bench` writes them to a file beside its results and reads their failures).
   */
  routeTo(sink: LineSink, level: LogLevel): void {
    this.#sink = sink;
    this.#threshold = LOG_LEVELS.indexOf(level);
  }

  /** Tags the lines that follow with this invocation (and whether it is the container's first). */
  addContext(context: LogContext): void {
    this.#context = {
      cold_start: this.#coldStart,
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
    };
    this.#coldStart = false;
  }

  debug(message: string, attributes?: Record<string, unknown>): void {
    this.#write('DEBUG', message, attributes);
  }

  info(message: string, attributes?: Record<string, unknown>): void {
    this.#write('INFO', message, attributes);
  }

  warn(message: string, attributes?: Record<string, unknown>): void {
    this.#write('WARN', message, attributes);
  }

  error(message: string, attributes?: Record<string, unknown>): void {
    this.#write('ERROR', message, attributes);
  }

  #write(level: Exclude<LogLevel, 'SILENT'>, message: string, attributes?: Record<string, unknown>): void {
    if (LOG_LEVELS.indexOf(level) < this.#threshold) return;
    const record = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: SERVICE_NAME,
      ...this.#context,
      ...attributes,
    };
    this.#sink(`${JSON.stringify(record, serializable)}\n`, level);
  }
}

/** The one logger of the service. */
export const logger = new Logger();
