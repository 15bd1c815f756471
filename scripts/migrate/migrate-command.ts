/**
 * The command behind `npm run migrate`, apart from the process so it can be tested: arguments in,
 * progress lines as it goes, the summary line out, under the scripts' one convention
 * (scripts/cli/cli.ts).
 */
import { describeDeployedTable } from '#infra/deployed-stage.ts';
import { type MigrationPage, type MigrationReport, migrateTable } from '#store/migration/table-migration.ts';
import { type CliArgs, type CliOutcome, CommandFailure, errorLine, evaluateCommand, UsageError } from '../cli/cli.ts';
import { localTable, stageOptionsArg, stageTable, type TableTarget } from '../cli/targets.ts';

/** Items each Scan reads unless `--page-size` says otherwise: a progress line every second or so. */
export const DEFAULT_PAGE_SIZE = 100;

/** `npm run migrate`'s command line. */
export const MIGRATE_COMMAND = {
  name: 'npm run migrate',
  usage: 'usage: npm run migrate -- [--dry-run] [--page-size N] [--stage NAME [--region REGION]]',
  help: `Moves the apps of a table written by the layout before counters to this one: a counter item per
credential. Safe to run twice, to stop (Ctrl-C) and run again, and while traffic flows.

--dry-run       read and count the apps it would move; write nothing
--page-size N   items each Scan reads (default ${DEFAULT_PAGE_SIZE}): one progress line on stderr per page
--stage NAME    the deployed stage's table (its stack's TableName output), with your AWS credentials
                (cloudformation:DescribeStacks; dynamodb:Scan, and UpdateItem unless --dry-run);
                --region REGION, else your default region

Without --stage: the DynamoDB of a local run (DYNAMODB_ENDPOINT, or the DynamoDB and table of the
npm start that holds DATA_DIR, or one started on DATA_DIR for the call); TABLE_NAME when set. The
summary line goes to stdout.`,
  config: {
    options: {
      'dry-run': { type: 'boolean', default: false },
      'page-size': { type: 'string', default: String(DEFAULT_PAGE_SIZE) },
      stage: { type: 'string' },
      region: { type: 'string' },
    },
  },
} as const;

/** What the command is given besides its arguments. */
export interface MigrateIo {
  /** Prints one progress line (the script: on stderr). */
  readonly progress: (line: string) => void;
  /** Stops the run between two apps (the script: on SIGINT or SIGTERM). */
  readonly signal?: AbortSignal;
}

const pageSizeArg = (value: string): number => {
  const size = Number(value);
  if (!/^\d+$/.test(value) || size < 1 || size > 10_000) {
    throw new UsageError(`--page-size ${value} is not a number of items from 1 to 10000`);
  }
  return size;
};

/** The line of one page: what it read, and what it moved (or, in a dry run, would move). */
export const pageLine = (dryRun: boolean, page: MigrationPage): string => {
  const at = page.pass === 1 ? `page ${page.page}` : `pass ${page.pass}, page ${page.page}`;
  const raced = page.leftBehind === 0 ? '' : `, ${page.leftBehind} changed meanwhile (read again next pass)`;
  return (
    `migrate${dryRun ? ' (dry run)' : ''}: ${at}: ${page.itemsRead} items read (${page.apps} apps), ` +
    `${page.moved} ${dryRun ? 'to move' : 'moved'}, ${page.alreadyMigrated} already on counters${raced}`
  );
};

/** The counts of a whole run, as the summary line and a stop's line tell them. */
const counts = (dryRun: boolean, report: MigrationReport): string =>
  `${report.apps} apps, ${report.moved} ${dryRun ? 'to move' : 'moved'} to counters, ` +
  `${report.alreadyMigrated} already on counters`;

/**
 * Runs the migration its parsed command line asks for, printing a line per page through `io`,
 * and returns the summary line. A stop (the signal) is a {@link CommandFailure} telling what was
 * done and to run it again; so is a failure of the table or of reading the stage.
 */
export const migrate = async ({ values }: CliArgs<typeof MIGRATE_COMMAND.config>, io: MigrateIo): Promise<string> => {
  const dryRun = values['dry-run'];
  const pageSize = pageSizeArg(values['page-size']);
  const stage = stageOptionsArg(values);
  const target: TableTarget =
    stage === undefined
      ? await localTable(MIGRATE_COMMAND.name)
      : await stageTable(stage.region, async ({ cloudFormation }) => ({
          tableName: await describeDeployedTable(stage.stage, cloudFormation),
        }));
  const table = `table ${target.db.tableName} ${target.where}`;
  try {
    const report = await migrateTable(target.db, {
      dryRun,
      pageSize,
      signal: io.signal,
      onPage: (page) => io.progress(pageLine(dryRun, page)),
    }).catch((error: unknown) => {
      throw new CommandFailure(`${table}: ${errorLine(error)}`, { cause: error });
    });
    if (report.stoppedAt) {
      const { pass, page } = report.stoppedAt;
      throw new CommandFailure(
        `${table}: stopped at ${pass === 1 ? '' : `pass ${pass}, `}page ${page} with ${counts(dryRun, report)}: ` +
          `run it again to ${dryRun ? 'count them all' : 'move the rest'}`,
      );
    }
    return dryRun
      ? `migrate (dry run, nothing written): ${table}: ${counts(dryRun, report)}`
      : `migrate: ${table}: ${counts(dryRun, report)}`;
  } finally {
    await target.close();
  }
};

/** Runs `npm run migrate` with its arguments, without a process: the summary line and the exit code. */
export const runMigrateCommand = (argv: readonly string[], io: MigrateIo): Promise<CliOutcome> =>
  evaluateCommand(MIGRATE_COMMAND, argv, (parsed) => migrate(parsed, io));
