/**
 * `npm run access-key -- <create|list|revoke> --project ID [--actions a,b] [--description TEXT]
 * [--access-key AK]`: manages the access keys that sign requests (AK/SK), against the DynamoDB of
 * a local run (DYNAMODB_ENDPOINT, or a running `npm start`'s DynamoDB Local, or one started on
 * DATA_DIR for the call). `create` prints the secret key, the only time it is ever shown.
 */
import { parseArgs } from 'node:util';
import { sealingBox } from '#lib/auth/sealing.ts';
import { readConfig } from '#lib/config.ts';
import { systemClock } from '#lib/domain/time.ts';
import { prepareLocalDynamoDb } from '#lib/local/local-dynamodb-env.ts';
import { readLocalSettings } from '#lib/local/local-settings.ts';
import { runCommand, SetupError } from '#lib/local/setup-error.ts';
import type { AccessKeyListing } from '#lib/store/access-key-store.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { createStore } from '#lib/store/store.ts';
import { createAccessKey } from '#lib/use-cases/access-keys.ts';

const USAGE =
  'usage: npm run access-key -- <create|list|revoke> --project ID [--actions a,b] [--description TEXT] [--access-key AK]';

/** An access key as the command prints it, in the API's snake_case. */
const view = (key: AccessKeyListing & { readonly secretKey?: string }) => ({
  access_key: key.accessKey,
  ...(key.secretKey === undefined ? {} : { secret_key: key.secretKey }),
  project_id: key.projectId,
  actions: key.actions,
  description: key.description,
  create_time: key.createTime.toISOString(),
});

const parse = () => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        project: { type: 'string' },
        actions: { type: 'string', default: 'apig:*' },
        description: { type: 'string', default: '' },
        'access-key': { type: 'string' },
      },
    });
  } catch (error) {
    throw new SetupError(`${(error as Error).message}; ${USAGE}`);
  }
};

await runCommand('npm run access-key', async () => {
  const { values, positionals } = parse();
  const [command] = positionals;
  const projectId = values.project;
  if (!projectId || !['create', 'list', 'revoke'].includes(command ?? '')) throw new SetupError(USAGE);
  if (command === 'revoke' && !values['access-key']) throw new SetupError(`revoke needs --access-key; ${USAGE}`);

  const settings = readLocalSettings(process.env);
  const dynamodb = await prepareLocalDynamoDb({ settings, inMemory: false, reuseRunning: true });
  const client = createDocumentClient({ region: readConfig().region, endpoint: dynamodb.endpoint });
  const store = createStore({ client, tableName: settings.tableName });
  try {
    if (command === 'create') {
      const box = await sealingBox(readConfig().accessKeySealing)();
      const created = await createAccessKey({ store, clock: systemClock }, box, {
        projectId,
        actions: values.actions
          .split(',')
          .map((action) => action.trim())
          .filter(Boolean),
        description: values.description,
      });
      console.log(JSON.stringify(view(created), null, 2));
    } else if (command === 'list') {
      console.log(JSON.stringify((await store.listAccessKeys(projectId)).map(view), null, 2));
    } else {
      const accessKey = values['access-key'] as string;
      if (!(await store.revokeAccessKey(projectId, accessKey)))
        throw new SetupError(`project ${projectId} has no access key ${accessKey}: list them with the list command`);
      console.log(JSON.stringify({ revoked: accessKey }));
    }
  } finally {
    client.destroy();
    await dynamodb.stop();
  }
});
