/**
 * `npm run migrate`: moves a table written by the layout before counters (usage and the quota's
 * settings on each app item, in the instance's partition) to this one (a counter item per
 * credential, in a partition of its own). Uses TABLE_NAME, DYNAMODB_ENDPOINT and AWS_REGION as
 * the functions do, and the caller's AWS credentials (it needs Scan, GetItem and UpdateItem).
 *
 * Safe to run twice and while traffic flows: each app moves in one transaction conditioned on
 * the app item being as read, and the deployed code moves any app it touches first by itself.
 */
import { readConfig } from '#app/config.ts';
import { migrateTable } from '#store/migration/migration-store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import { CommandFailure, errorLine, runCli } from './cli/cli.ts';

const COMMAND = {
  name: 'npm run migrate',
  usage: 'usage: npm run migrate',
  help: `Moves a table written by the layout before counters to this one: a counter item per credential.
Reads TABLE_NAME, DYNAMODB_ENDPOINT and AWS_REGION as the functions do, with your AWS credentials
(Scan, GetItem, UpdateItem). Safe to run twice and while traffic flows.`,
  config: { options: {} },
} as const;

await runCli(COMMAND, async () => {
  const config = readConfig();
  const client = createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  try {
    const report = await migrateTable({ client, tableName: config.tableName }).catch((error: unknown) => {
      const where = config.dynamodbEndpoint ? ` at ${config.dynamodbEndpoint}` : ` in ${config.region}`;
      throw new CommandFailure(`table ${config.tableName}${where}: ${errorLine(error)}`, { cause: error });
    });
    console.log(
      `migrate: table ${config.tableName}: ${report.apps} apps, ${report.migrated} moved to counters, ` +
        `${report.alreadyMigrated} already on counters`,
    );
  } finally {
    client.destroy();
  }
});
