/**
 * `npm start [-- --in-memory]`: the whole API on http://127.0.0.1:${PORT:-3000}, backed by
 * DynamoDB Local (started here unless DYNAMODB_ENDPOINT is set). Prints the base URL and a token
 * for project `demo` with every action. Ctrl-C stops everything it started.
 */
import { parseArgs } from 'node:util';
import { signToken } from '#lib/auth/token-issuer.ts';
import { DEVELOPMENT_JWT_SECRET } from '#lib/config.ts';
import { prepareLocalDynamoDb } from '#lib/local/local-dynamodb-env.ts';
import { startLocalServer } from '#lib/local/local-server.ts';

const { values } = parseArgs({ options: { 'in-memory': { type: 'boolean', default: false } } });
const port = Number(process.env.PORT || 3000);

const dynamodb = await prepareLocalDynamoDb({ env: process.env, inMemory: values['in-memory'], reuseRunning: false });
process.env.DYNAMODB_ENDPOINT = dynamodb.endpoint;
process.env.AUTH_JWT_SECRET ||= DEVELOPMENT_JWT_SECRET;

const server = await startLocalServer(port).catch(async (error: unknown) => {
  await dynamodb.stop();
  throw error;
});
const token = await signToken(process.env.AUTH_JWT_SECRET, {
  projectId: 'demo',
  actions: ['apig:*'],
  ttlSeconds: 12 * 3600,
  subject: 'local-developer',
});

const storage = !dynamodb.started
  ? `DynamoDB at ${dynamodb.endpoint}`
  : values['in-memory']
    ? `DynamoDB Local at ${dynamodb.endpoint} (in memory)`
    : `DynamoDB Local at ${dynamodb.endpoint} (data in ${process.env.DATA_DIR || '.data'})`;
console.log(`credential-quota API listening on http://127.0.0.1:${port}
storage: ${storage}
token for project "demo" with every action (valid 12 h):

export TOKEN=${token}
`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
  await dynamodb.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
