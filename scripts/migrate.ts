/**
 * `npm run migrate -- [--dry-run] [--page-size N] [--stage NAME [--region REGION]]`: moves a table
 * written by the layout before counters (usage and the quota's settings on each app item, in the
 * instance's partition) to this one (a counter item per credential, in a partition of its own).
 * With `--stage`, the deployed stage's table with the caller's AWS credentials; without, the
 * DynamoDB of a local run. A progress line per page on stderr, the summary on stdout.
 *
 * Safe to run twice, to stop and run again, and while traffic flows: each app moves in one
 * transaction conditioned on the app item being as read, and the deployed code moves any app it
 * touches first by itself. Ctrl-C (SIGINT) or SIGTERM stops it between two apps, saying how far it
 * got; that is never more than a move and a page's read away.
 */
import { runCli } from './cli/cli.ts';
import { MIGRATE_COMMAND, migrate } from './migrate/migrate-command.ts';

await runCli(MIGRATE_COMMAND, async (args) => {
  const stop = new AbortController();
  // Not once: Ctrl-C under npm arrives twice (from the terminal, and forwarded by npm).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop.abort());
  console.log(await migrate(args, { progress: (line) => console.error(line), signal: stop.signal }));
});
