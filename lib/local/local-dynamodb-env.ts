import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal, waitForDynamoDb } from './dynamodb-local.ts';
import { ensureTable } from './ensure-table.ts';
import type { LocalSettings } from './local-settings.ts';
import { SetupError } from './setup-error.ts';

/** The DynamoDB a local run uses, and how to let go of it. */
export interface LocalDynamoDb {
  readonly endpoint: string;
  /** Whether this run started DynamoDB Local (and so stops it). */
  readonly started: boolean;
  stop(): Promise<void>;
}

/** How a local run finds or starts DynamoDB. */
export interface LocalDynamoDbOptions {
  readonly settings: LocalSettings;
  readonly inMemory: boolean;
  /** Use a DynamoDB Local already answering on `DYNAMODB_LOCAL_PORT` instead of starting one. */
  readonly reuseRunning: boolean;
}

const answers = async (endpoint: string): Promise<boolean> =>
  waitForDynamoDb(endpoint, 0).then(
    () => true,
    () => false,
  );

/**
 * Uses `DYNAMODB_ENDPOINT` when set; otherwise starts DynamoDB Local on `DYNAMODB_LOCAL_PORT`
 * (default 8000), persistent under `DATA_DIR` (default `.data`) unless in memory; with
 * `reuseRunning`, a DynamoDB Local already answering there is used instead. Then creates the table
 * `TABLE_NAME` if absent.
 */
export const prepareLocalDynamoDb = async ({
  settings,
  inMemory,
  reuseRunning,
}: LocalDynamoDbOptions): Promise<LocalDynamoDb> => {
  const localEndpoint = `http://127.0.0.1:${settings.dynamodbLocalPort}`;
  let local: LocalDynamoDb;
  if (settings.dynamodbEndpoint) {
    const endpoint = settings.dynamodbEndpoint;
    await waitForDynamoDb(endpoint, 10_000).catch(() => {
      throw new SetupError(
        `DYNAMODB_ENDPOINT=${endpoint} does not answer: start that DynamoDB, or unset DYNAMODB_ENDPOINT to run DynamoDB Local`,
      );
    });
    local = { endpoint, started: false, stop: async () => undefined };
  } else if (reuseRunning && (await answers(localEndpoint))) {
    local = { endpoint: localEndpoint, started: false, stop: async () => undefined };
  } else {
    const running = await startDynamoDbLocal({
      port: settings.dynamodbLocalPort,
      dataDir: inMemory ? undefined : settings.dataDir,
    });
    local = { ...running, started: true };
  }
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    // The handlers' region (lib/config.ts): a DynamoDB Local without -sharedDb keeps one database per region.
    region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await ensureTable(client, settings.tableName);
  } catch (error) {
    await local.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return local;
};
