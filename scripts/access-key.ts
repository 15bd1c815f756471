/**
 * `npm run access-key -- <create|list|revoke> --project ID [--actions a,b] [--description TEXT]
 * [--access-key AK] [--stage NAME [--region REGION]]`: manages the access keys that sign requests
 * (AK/SK). With `--stage`, in the deployed stage's table with the caller's AWS credentials (its
 * outputs name the table and the sealing secret); without, against the DynamoDB of a local run
 * (DYNAMODB_ENDPOINT, or a running `npm start`'s DynamoDB Local, or one started on DATA_DIR for
 * the call). `create` prints the secret key, the only time it is ever shown.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readConfig } from '#app/config.ts';
import { sealingBox } from '#auth/sealing.ts';
import { createSecretBox, type SecretBox } from '#domain/secret-box.ts';
import { systemClock } from '#domain/time.ts';
import { describeDeployedAccessKeys } from '#infra/deployed-stage.ts';
import { parseStage } from '#infra/stage.ts';
import { prepareLocalDynamoDb } from '#local/local-dynamodb-env.ts';
import { readLocalSettings } from '#local/local-settings.ts';
import { runCommand, SetupError } from '#local/setup-error.ts';
import type { AccessKeyListing } from '#store/access-keys/access-key-store.ts';
import { createStore, type Store } from '#store/control-plane/store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import { createAccessKey } from '#use-cases/access-keys.ts';

const USAGE =
  'usage: npm run access-key -- <create|list|revoke> --project ID [--actions a,b] [--description TEXT] [--access-key AK] [--stage NAME [--region REGION]]';

/** An access key as the command prints it, in the API's snake_case. */
const view = (key: AccessKeyListing & { readonly secretKey?: string }) => ({
  access_key: key.accessKey,
  ...(key.secretKey === undefined ? {} : { secret_key: key.secretKey }),
  project_id: key.projectId,
  actions: key.actions,
  description: key.description,
  create_time: key.createTime.toISOString(),
});

interface Target {
  readonly store: Store;
  readonly box: SecretBox;
  close(): Promise<void>;
}

/** The table of a local run, sealed with the local sealing key. */
const localTarget = async (): Promise<Target> => {
  const settings = readLocalSettings(process.env);
  const dynamodb = await prepareLocalDynamoDb({ settings, inMemory: false, reuseRunning: true });
  const config = readConfig();
  const client = createDocumentClient({ region: config.region, endpoint: dynamodb.endpoint });
  return {
    store: createStore({ client, tableName: settings.tableName }),
    box: await sealingBox(config.accessKeySealing)(),
    close: async () => {
      client.destroy();
      await dynamodb.stop();
    },
  };
};

/** A deployed stage's table and sealing key, found through its stack outputs. */
const stageTarget = async (stage: string, region: string | undefined): Promise<Target> => {
  const options = region ? { region } : {};
  const cloudFormation = new CloudFormationClient(options);
  let deployed: Awaited<ReturnType<typeof describeDeployedAccessKeys>>;
  try {
    deployed = await describeDeployedAccessKeys(parseStage(stage), {
      cloudFormation,
      secretsManager: new SecretsManagerClient(options),
    });
  } catch (error) {
    throw new SetupError((error as Error).message);
  }
  const client = createDocumentClient({ region: await cloudFormation.config.region() });
  return {
    store: createStore({ client, tableName: deployed.tableName }),
    box: createSecretBox(deployed.sealingKey),
    close: async () => client.destroy(),
  };
};

const parse = () => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        project: { type: 'string' },
        actions: { type: 'string', default: 'apig:*' },
        description: { type: 'string', default: '' },
        'access-key': { type: 'string' },
        stage: { type: 'string' },
        region: { type: 'string' },
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

  const target = values.stage === undefined ? await localTarget() : await stageTarget(values.stage, values.region);
  const { store, box } = target;
  try {
    if (command === 'create') {
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
    await target.close();
  }
});
