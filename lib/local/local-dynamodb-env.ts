import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal, waitForDynamoDb } from './dynamodb-local.ts';
import { ensureTable } from './ensure-table.ts';

/** The DynamoDB a local run uses, and how to let go of it. */
export interface LocalDynamoDb {
  readonly endpoint: string;
  /** Whether this run started DynamoDB Local (and so stops it). */
  readonly started: boolean;
  stop(): Promise<void>;
}

/** How a local run finds or starts DynamoDB. */
export interface LocalDynamoDbOptions {
  readonly env: NodeJS.ProcessEnv;
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
 * (default 8000), persistent under `DATA_DIR` (default `.data`) unless in memory. Then creates
 * the table `TABLE_NAME` if absent.
 */
export const prepareLocalDynamoDb = async ({
  env,
  inMemory,
  reuseRunning,
}: LocalDynamoDbOptions): Promise<LocalDynamoDb> => {
  const tableName = env.TABLE_NAME || 'credential-quota';
  const port = Number(env.DYNAMODB_LOCAL_PORT || 8000);
  let local: LocalDynamoDb;
  if (env.DYNAMODB_ENDPOINT) {
    await waitForDynamoDb(env.DYNAMODB_ENDPOINT, 10_000);
    local = { endpoint: env.DYNAMODB_ENDPOINT, started: false, stop: async () => undefined };
  } else if (reuseRunning && (await answers(`http://127.0.0.1:${port}`))) {
    local = { endpoint: `http://127.0.0.1:${port}`, started: false, stop: async () => undefined };
  } else {
    const running = await startDynamoDbLocal({ port, dataDir: inMemory ? undefined : env.DATA_DIR || '.data' });
    local = { ...running, started: true };
  }
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: env.AWS_REGION || 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await ensureTable(client, tableName);
  } finally {
    client.destroy();
  }
  return local;
};
