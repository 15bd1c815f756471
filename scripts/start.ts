/**
 * `npm start [-- --in-memory]`: the whole API on http://127.0.0.1:${PORT:-3000}, backed by
 * DynamoDB Local (started here, on 127.0.0.1, unless DYNAMODB_ENDPOINT is set). Claims DATA_DIR
 * (its `local-run.json` says where the API and its DynamoDB are, for the other local commands)
 * and prints the exports a second terminal needs: the base URL, the DynamoDB, a token and an
 * access key for project `demo` with every action. SIGINT or SIGTERM stops everything it started.
 * A wrong setting is one line naming it and the fix.
 */
import type { Server } from 'node:http';
import { DEVELOPMENT_JWT_SECRET, readConfig } from '#app/config.ts';
import { sealingBox } from '#auth/sealing.ts';
import { signToken } from '#auth/token-issuer.ts';
import { systemClock } from '#domain/time.ts';
import { ensurePortFree, listenError } from '#local/listen.ts';
import { type LocalDynamoDb, prepareLocalDynamoDb } from '#local/local-dynamodb-env.ts';
import { startLocalServer } from '#local/local-server.ts';
import { readLocalSettings } from '#local/local-settings.ts';
import { runStateFile } from '#local/run-state.ts';
import { createStore } from '#store/control-plane/store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import type { CreatedAccessKey } from '#use-cases/access-keys.ts';
import { freshDemoAccessKey } from '#use-cases/demo-access-key.ts';
import { runCli } from './cli/cli.ts';

const COMMAND = {
  name: 'npm start',
  usage: 'usage: npm start [-- --in-memory]',
  help: `Serves the whole API on http://127.0.0.1:\${PORT:-3000}, backed by DynamoDB Local (started here on
DATA_DIR, or in memory with --in-memory) unless DYNAMODB_ENDPOINT is set, and prints a token and an
access key for project "demo" with every action. Ctrl-C stops everything it started.
Settings: PORT, DYNAMODB_LOCAL_PORT, DATA_DIR, TABLE_NAME, DYNAMODB_ENDPOINT, AUTH_JWT_SECRET.`,
  config: { options: { 'in-memory': { type: 'boolean', default: false } } },
} as const;

await runCli(COMMAND, async ({ values: args }) => {
  // `npm start --in-memory` (without `--`) reaches us as npm's own config, not as an argument.
  const inMemory = args['in-memory'] || process.env.npm_config_in_memory === 'true';
  const settings = readLocalSettings(process.env);
  await ensurePortFree(settings.port, 'PORT');

  let dynamodb: LocalDynamoDb | undefined;
  let server: Server | undefined;
  const base = `http://127.0.0.1:${settings.port}`;
  let starting = true;
  let stopRequested: string | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    // During start-up DynamoDB Local may be half started: stop once start-up has its handle.
    if (starting) {
      stopRequested = signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    if (server) {
      server.closeAllConnections();
      await new Promise((done) => server?.close(done));
    }
    await dynamodb?.stop();
    process.exit(0);
  };
  // Listening before anything is started: a signal during start-up still stops what was started.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  // Start-up as a whole holds signals back, so a stop never pulls DynamoDB Local from under a
  // request still in flight (the table's creation, the demo key's write).
  let demoKey: CreatedAccessKey;
  try {
    dynamodb = await prepareLocalDynamoDb({ settings, inMemory, reuseRunning: false, command: COMMAND.name });
    process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint;
    process.env.TABLE_NAME = settings.tableName;
    process.env.AUTH_JWT_SECRET ||= DEVELOPMENT_JWT_SECRET;
    server = await startLocalServer(settings.port, undefined, {
      quotaSweepIntervalSeconds: settings.quotaSweepIntervalSeconds,
      functionTimeoutSeconds: settings.functionTimeoutSeconds,
    }).catch((error: unknown) => {
      throw listenError(error, settings.port, 'PORT');
    });
    dynamodb.announce(base);
    const config = readConfig();
    const client = createDocumentClient({ region: config.region, endpoint: dynamodb.endpoint });
    demoKey = await freshDemoAccessKey(
      { store: createStore({ client, tableName: settings.tableName }), clock: systemClock },
      await sealingBox(config.accessKeySealing)(),
    ).finally(() => client.destroy());
  } catch (error) {
    server?.close();
    await dynamodb?.stop();
    throw error;
  } finally {
    starting = false;
  }
  if (stopRequested) return stop(stopRequested);

  const token = await signToken(process.env.AUTH_JWT_SECRET, {
    projectId: 'demo',
    actions: ['apig:*'],
    ttlSeconds: 12 * 3600,
    subject: 'local-developer',
  });
  const storage = !dynamodb.started
    ? `DynamoDB at ${dynamodb.endpoint}`
    : inMemory
      ? `DynamoDB Local at ${dynamodb.endpoint} (in memory)`
      : `DynamoDB Local at ${dynamodb.endpoint} (data in ${settings.dataDir})`;
  console.log(`credential-quota API listening on ${base}
storage: ${storage}

For a second terminal: the base URL, the DynamoDB (npm run access-key, invoke and migrate also find
it on their own, from ${runStateFile(settings.dataDir)}), a token for project "demo" with every action
(valid 12 h) and an access key for the vendor's SDKs (its secret is shown only now):

export BASE=${base}
export DYNAMODB_ENDPOINT=${dynamodb.endpoint} TABLE_NAME=${settings.tableName}
export TOKEN=${token}
export AK=${demoKey.accessKey} SK=${demoKey.secretKey}
`);
});
