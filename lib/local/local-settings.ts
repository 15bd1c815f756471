import { statSync } from 'node:fs';
import { QUOTA_SWEEP_PERIOD_SECONDS } from '#use-cases/finish-quota-deletes.ts';
import { SetupError } from './setup-error.ts';

/** The settings of a local run (`npm start`, `npm run invoke`), checked before anything starts. */
export interface LocalSettings {
  readonly port: number;
  readonly dynamodbLocalPort: number;
  readonly dynamodbEndpoint: string | undefined;
  readonly dataDir: string;
  readonly tableName: string;
  /** Whether `TABLE_NAME` was set: a script then uses it, not the table of the `npm start` it finds. */
  readonly tableNameSet: boolean;
  /** Every how many seconds `npm start` sweeps the quota deletes under way, as the schedule does in AWS. */
  readonly quotaSweepIntervalSeconds: number;
  /**
   * Each function's deadline, in seconds, for every function alike; absent, each has its deployed
   * timeout. A loaded machine whose DynamoDB Local is slow raises it (the tests do), never the
   * DynamoDB calls' own share of it.
   */
  readonly functionTimeoutSeconds: number | undefined;
}

const portOf = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535)
    throw new SetupError(`${name}=${raw} is not a port number: set ${name} to an integer from 1 to 65535`);
  return port;
};

const endpointOf = (raw: string | undefined): string | undefined => {
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new SetupError(
      `DYNAMODB_ENDPOINT=${raw} is not an http(s) URL: set it like http://127.0.0.1:8000, or unset it`,
    );
  return raw;
};

const dataDirOf = (raw: string | undefined): string => {
  const dataDir = raw || '.data';
  const stat = statSync(dataDir, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory())
    throw new SetupError(`DATA_DIR=${dataDir} is a file, not a folder: set DATA_DIR to a folder (created if absent)`);
  return dataDir;
};

const tableNameOf = (raw: string | undefined): string => {
  const tableName = raw || 'credential-quota';
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName))
    throw new SetupError(
      `TABLE_NAME=${tableName} is not a DynamoDB table name: use 3-255 letters, digits, '_', '-' or '.'`,
    );
  return tableName;
};

const sweepIntervalOf = (raw: string | undefined): number => {
  if (raw === undefined || raw === '') return QUOTA_SWEEP_PERIOD_SECONDS;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds < 1 || seconds > 86_400)
    throw new SetupError(
      `QUOTA_SWEEP_INTERVAL_SECONDS=${raw} is not a number of seconds: set it to an integer from 1 to 86400, or unset it`,
    );
  return seconds;
};

const functionTimeoutOf = (raw: string | undefined): number | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds < 2 || seconds > 900)
    throw new SetupError(
      `LOCAL_FUNCTION_TIMEOUT_SECONDS=${raw} is not a function timeout: set it to an integer from 2 to 900 (seconds), or unset it`,
    );
  return seconds;
};

/** Reads and checks `PORT`, `DYNAMODB_LOCAL_PORT`, `DYNAMODB_ENDPOINT`, `DATA_DIR`, `TABLE_NAME`, `QUOTA_SWEEP_INTERVAL_SECONDS` and `LOCAL_FUNCTION_TIMEOUT_SECONDS`. */
export const readLocalSettings = (env: NodeJS.ProcessEnv): LocalSettings => ({
  port: portOf(env, 'PORT', 3000),
  dynamodbLocalPort: portOf(env, 'DYNAMODB_LOCAL_PORT', 8000),
  dynamodbEndpoint: endpointOf(env.DYNAMODB_ENDPOINT),
  dataDir: dataDirOf(env.DATA_DIR),
  tableName: tableNameOf(env.TABLE_NAME),
  tableNameSet: Boolean(env.TABLE_NAME),
  quotaSweepIntervalSeconds: sweepIntervalOf(env.QUOTA_SWEEP_INTERVAL_SECONDS),
  functionTimeoutSeconds: functionTimeoutOf(env.LOCAL_FUNCTION_TIMEOUT_SECONDS),
});
