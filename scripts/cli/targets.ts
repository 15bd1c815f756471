/**
 * The table a script works on (`access-key`, `migrate`): without `--stage`, the DynamoDB of a
 * local run; with `--stage NAME [--region REGION]`, the deployed stage's table, found through its
 * stack outputs with the caller's AWS credentials.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { readConfig } from '#app/config.ts';
import { prepareLocalDynamoDb } from '#local/local-dynamodb-env.ts';
import { readLocalSettings } from '#local/local-settings.ts';
import { createDocumentClient } from '#store/table/client.ts';
import type { Db } from '#store/table/db.ts';
import { CommandFailure, UsageError } from './cli.ts';
import { stageArg } from './input.ts';

/** A table to work on, and how to let go of it. */
export interface TableTarget {
  readonly db: Db;
  /** Where the table is, for messages: `at http://127.0.0.1:8000`, `in eu-west-1`. */
  readonly where: string;
  close(): Promise<void>;
}

/**
 * `--stage NAME` and `--region REGION` read: the stage, or `undefined` for a local run. A region
 * without a stage is refused: it would look like a command on AWS while working on the local table.
 */
export const stageOptionsArg = (values: {
  readonly stage?: string | undefined;
  readonly region?: string | undefined;
}): { readonly stage: string; readonly region: string | undefined } | undefined => {
  if (values.stage === undefined) {
    if (values.region !== undefined)
      throw new UsageError("--region needs --stage (without --stage, the table is the local run's)");
    return undefined;
  }
  return { stage: stageArg(values.stage), region: values.region };
};

/**
 * The table of a local run: `DYNAMODB_ENDPOINT`, or the DynamoDB of the `npm start` that holds
 * `DATA_DIR` (and its table unless `TABLE_NAME` is set), or one started on `DATA_DIR` for the call
 * (and stopped by `close`); the table is created if absent. `command`: the script, as the claim on
 * `DATA_DIR` names it.
 */
export const localTable = async (command: string): Promise<TableTarget> => {
  const settings = readLocalSettings(process.env);
  const dynamodb = await prepareLocalDynamoDb({ settings, inMemory: false, reuseRunning: true, command });
  const client = createDocumentClient({ region: readConfig().region, endpoint: dynamodb.endpoint });
  return {
    db: { client, tableName: dynamodb.tableName },
    where: `at ${dynamodb.endpoint}`,
    close: async () => {
      client.destroy();
      await dynamodb.stop();
    },
  };
};

/** The clients a stage is read with, for `--region` (the default chain's region when undefined). */
export interface StageReaders {
  readonly cloudFormation: CloudFormationClient;
  /** The options any other AWS client of the call is made with. */
  readonly clientOptions: { readonly region?: string };
}

/**
 * A deployed stage's table, and what else `describe` reads of the stage's outputs (`tableName`: its
 * table) with the clients made for `region`.
 * A stage that cannot be read (no credentials, not deployed, an older stack) is a
 * {@link CommandFailure} whose line says why.
 */
export const stageTable = async <T extends { readonly tableName: string }>(
  region: string | undefined,
  describe: (readers: StageReaders) => Promise<T>,
): Promise<TableTarget & { readonly deployed: T }> => {
  const clientOptions = region ? { region } : {};
  const cloudFormation = new CloudFormationClient(clientOptions);
  let deployed: T;
  let tableRegion: string;
  try {
    deployed = await describe({ cloudFormation, clientOptions });
    tableRegion = await cloudFormation.config.region();
  } catch (error) {
    throw new CommandFailure((error as Error).message, { cause: error });
  } finally {
    cloudFormation.destroy();
  }
  const client = createDocumentClient({ region: tableRegion });
  return {
    db: { client, tableName: deployed.tableName },
    deployed,
    where: `in ${tableRegion}`,
    close: async () => client.destroy(),
  };
};
