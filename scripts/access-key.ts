/**
 * `npm run access-key -- <create|list|revoke> --project ID [--actions a,b] [--description TEXT]
 * [--access-key AK] [--stage NAME [--region REGION]]`: manages the access keys that sign requests
 * (AK/SK). With `--stage`, in the deployed stage's table with the caller's AWS credentials (its
 * outputs name the table and the sealing secret); without, against the DynamoDB of a local run
 * (DYNAMODB_ENDPOINT, or the DynamoDB of the `npm start` that holds DATA_DIR, or one started on
 * DATA_DIR for the call). `create` prints the secret key, the only time it is ever shown.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readConfig } from '#app/config.ts';
import { sealingBox } from '#auth/sealing.ts';
import { createSecretBox, type SecretBox } from '#domain/secret-box.ts';
import { systemClock } from '#domain/time.ts';
import { describeDeployedAccessKeys } from '#infra/deployed-stage.ts';
import type { AccessKeyListing } from '#store/access-keys/access-key-store.ts';
import { createStore, type Store } from '#store/control-plane/store.ts';
import { createAccessKey } from '#use-cases/access-keys.ts';
import { CommandFailure, runCli, UsageError } from './cli/cli.ts';
import { actionsArg, projectIdArg } from './cli/input.ts';
import { localTable, stageOptionsArg, stageTable } from './cli/targets.ts';

const COMMAND = {
  name: 'npm run access-key',
  usage:
    'usage: npm run access-key -- <create|list|revoke> --project ID [--actions a,b] [--description TEXT] [--access-key AK] [--stage NAME [--region REGION]]',
  help: `create   a key for project ID with --actions (default apig:*); prints its secret key, shown only now
list     the project's keys (no secrets)
revoke   the key --access-key AK of the project

Without --stage: the DynamoDB of a local run (DYNAMODB_ENDPOINT, or the DynamoDB of the npm start
that holds DATA_DIR, or one started on DATA_DIR for the call). With --stage NAME: the deployed stage's table, with
your AWS credentials.`,
  config: {
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      actions: { type: 'string', default: 'apig:*' },
      description: { type: 'string', default: '' },
      'access-key': { type: 'string' },
      stage: { type: 'string' },
      region: { type: 'string' },
    },
  },
} as const;

const SUBCOMMANDS = ['create', 'list', 'revoke'] as const;

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
  const box = await sealingBox(readConfig().accessKeySealing)();
  const table = await localTable(COMMAND.name);
  return { store: createStore(table.db), box, close: table.close };
};

/** A deployed stage's table and sealing key, found through its stack outputs. */
const stageTarget = async (stage: string, region: string | undefined): Promise<Target> => {
  const table = await stageTable(region, ({ cloudFormation, clientOptions }) =>
    describeDeployedAccessKeys(stage, { cloudFormation, secretsManager: new SecretsManagerClient(clientOptions) }),
  );
  return { store: createStore(table.db), box: createSecretBox(table.deployed.sealingKey), close: table.close };
};

await runCli(COMMAND, async ({ values, positionals }) => {
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError(`give one of ${SUBCOMMANDS.join(', ')}`);
  if (!(SUBCOMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command ${JSON.stringify(command)}: give one of ${SUBCOMMANDS.join(', ')}`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const projectId = projectIdArg(values.project);
  // Read before any DynamoDB is started: a refusal costs nothing.
  const actions = actionsArg(values.actions);
  if (command === 'revoke' && !values['access-key']) throw new UsageError('revoke needs --access-key');
  const stage = stageOptionsArg(values);

  const target = stage === undefined ? await localTarget() : await stageTarget(stage.stage, stage.region);
  const { store, box } = target;
  try {
    if (command === 'create') {
      const created = await createAccessKey({ store, clock: systemClock }, box, {
        projectId,
        actions,
        description: values.description,
      });
      console.log(JSON.stringify(view(created), null, 2));
    } else if (command === 'list') {
      console.log(JSON.stringify((await store.listAccessKeys(projectId)).map(view), null, 2));
    } else {
      const accessKey = values['access-key'] as string;
      if (!(await store.revokeAccessKey(projectId, accessKey)))
        throw new CommandFailure(
          `project ${projectId} has no access key ${accessKey}: list them with the list command`,
        );
      console.log(JSON.stringify({ revoked: accessKey }));
    }
  } finally {
    await target.close();
  }
});
