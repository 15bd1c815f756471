import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal, waitForDynamoDb } from './dynamodb-local.ts';
import { ensureTable } from './ensure-table.ts';
import type { LocalSettings } from './local-settings.ts';
import { claimDataDir, type RunState, readRunState } from './run-state.ts';
import { SetupError } from './setup-error.ts';

/** The DynamoDB a local run uses, and how to let go of it. */
export interface LocalDynamoDb {
  readonly endpoint: string;
  /** The table to use: `TABLE_NAME`, or when unset and the run found is `npm start`'s, its table. */
  readonly tableName: string;
  /** Whether this run started DynamoDB Local (and so stops it). */
  readonly started: boolean;
  /** For a run that claimed `DATA_DIR` (`npm start`): tells a second terminal the API's base URL too. */
  announce(base: string): void;
  stop(): Promise<void>;
}

/** How a local run finds or starts DynamoDB. */
export interface LocalDynamoDbOptions {
  readonly settings: LocalSettings;
  readonly inMemory: boolean;
  /**
   * A script (true) uses the DynamoDB of the run that holds `DATA_DIR` (a running `npm start`),
   * or starts its own for the call on a port the kernel picks; `npm start` (false) claims
   * `DATA_DIR` and starts DynamoDB Local on `DYNAMODB_LOCAL_PORT`.
   */
  readonly reuseRunning: boolean;
  /** The command as typed, which the claim on `DATA_DIR` names to whoever finds it held. */
  readonly command: string;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** How long a script waits for an `npm start` that holds the folder to say where its DynamoDB is. */
const STARTING_WAIT_MS = 90_000;

/**
 * The DynamoDB of the `npm start` that holds `dataDir`, waiting while it starts; undefined when
 * no server holds it (a script's claim is waited for by {@link claimDataDir} instead).
 */
const runningServer = async (dataDir: string): Promise<RunState | undefined> => {
  const deadline = Date.now() + STARTING_WAIT_MS;
  for (;;) {
    const state = readRunState(dataDir);
    if (!state || state.transient) return undefined;
    if (state.dynamodbEndpoint) return state;
    if (Date.now() > deadline)
      throw new SetupError(
        `DATA_DIR=${dataDir} is held by ${state.command} (pid ${state.pid}), which did not get its DynamoDB ready within ${STARTING_WAIT_MS / 1000} s: stop it, or set DATA_DIR to another folder`,
      );
    await sleep(200);
  }
};

/**
 * Uses `DYNAMODB_ENDPOINT` when set. Otherwise a script uses the DynamoDB of the `npm start`
 * that holds `DATA_DIR` (found in its run-state file, never by probing a port), or claims the
 * folder and starts DynamoDB Local on it for the call; `npm start` claims the folder (refused,
 * naming the holder, while another run holds it) and starts DynamoDB Local on
 * `DYNAMODB_LOCAL_PORT` (default 8000), persistent under `DATA_DIR` unless in memory. So no two
 * DynamoDB Locals ever serve one folder. Then creates the table if absent.
 */
export const prepareLocalDynamoDb = async ({
  settings,
  inMemory,
  reuseRunning,
  command,
}: LocalDynamoDbOptions): Promise<LocalDynamoDb> => {
  let tableName = settings.tableName;
  let local: Omit<LocalDynamoDb, 'tableName'>;
  const found = reuseRunning && !settings.dynamodbEndpoint ? await runningServer(settings.dataDir) : undefined;
  if (found?.dynamodbEndpoint) {
    if (!settings.tableNameSet && found.tableName) tableName = found.tableName;
    local = borrowed(found.dynamodbEndpoint);
  } else if (settings.dynamodbEndpoint && reuseRunning) {
    local = borrowed(await answering(settings.dynamodbEndpoint));
  } else {
    local = await claimAndStart(settings, inMemory, reuseRunning, command);
  }
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    // The handlers' region (lib/config.ts): a DynamoDB Local without -sharedDb keeps one database per region.
    region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await ensureTable(client, tableName);
  } catch (error) {
    await local.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { ...local, tableName };
};

/** A DynamoDB someone else runs: nothing to stop, nothing to announce. */
const borrowed = (endpoint: string): Omit<LocalDynamoDb, 'tableName'> => ({
  endpoint,
  started: false,
  announce: () => undefined,
  stop: async () => undefined,
});

const answering = async (endpoint: string): Promise<string> => {
  await waitForDynamoDb(endpoint, 10_000).catch(() => {
    throw new SetupError(
      `DYNAMODB_ENDPOINT=${endpoint} does not answer: start that DynamoDB, or unset DYNAMODB_ENDPOINT to run DynamoDB Local`,
    );
  });
  return endpoint;
};

/**
 * Claims `DATA_DIR`, then uses `DYNAMODB_ENDPOINT` or starts DynamoDB Local (a script's on a
 * port the kernel picks, so it never meets `npm start`'s), and writes where it is into the claim.
 */
const claimAndStart = async (
  settings: LocalSettings,
  inMemory: boolean,
  transient: boolean,
  command: string,
): Promise<Omit<LocalDynamoDb, 'tableName'>> => {
  const claim = await claimDataDir({ dataDir: settings.dataDir, command, transient });
  try {
    const running = settings.dynamodbEndpoint
      ? borrowed(await answering(settings.dynamodbEndpoint))
      : await startDynamoDbLocal({
          port: transient ? 0 : settings.dynamodbLocalPort,
          dataDir: inMemory ? undefined : settings.dataDir,
        });
    const state = { dynamodbEndpoint: running.endpoint, tableName: settings.tableName };
    claim.update(state);
    return {
      endpoint: running.endpoint,
      started: !settings.dynamodbEndpoint,
      announce: (base) => claim.update({ ...state, base }),
      stop: async () => {
        await running.stop();
        claim.release();
      },
    };
  } catch (error) {
    claim.release();
    throw error;
  }
};
