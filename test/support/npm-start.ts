import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '#local/free-port.ts';

/** A running `npm start`, with what its banner printed. */
export interface StartedNpm {
  readonly child: ChildProcess;
  readonly base: string;
  readonly token: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** Its `export ...` lines, as a user pastes them into a second terminal. */
  readonly exports: string;
  /** The DATA_DIR it holds. */
  readonly dataDir: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Sends a signal to npm itself and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

// The banner's last line: once it is there, the whole banner is.
const LAST_LINE = /export AK=(\S+) SK=(\S+)/;

/**
 * Runs `npm start` through npm, as a user does, with `env` as its whole environment, and waits
 * (at most 60 s) for its banner. Unless `env` sets `LOCAL_FUNCTION_TIMEOUT_SECONDS`, the functions
 * get 60 s: DynamoDB Local on a loaded test machine is slow, and the deadline is what grows for it.
 * Unless `env` sets `DATA_DIR`, it gets a folder of its own: npm start claims its DATA_DIR, and
 * the tests run several at once.
 */
export const startNpm = async (env: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<StartedNpm> => {
  env = {
    LOCAL_FUNCTION_TIMEOUT_SECONDS: '60',
    ...env,
    DATA_DIR: env.DATA_DIR || mkdtempSync(join(tmpdir(), 'npm-start-data-')),
  };
  // A port found free by the caller can be taken by another process (a kernel-picked port of
  // another test's server) before npm start binds it: that is the machine, not the test, so the
  // setting it names gets another free port, twice at most.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(env, args);
    } catch (error) {
      const taken = /npm start: (PORT|DYNAMODB_LOCAL_PORT)=\d+: another process already listens/.exec(String(error));
      if (!taken?.[1] || attempt >= 3) throw error;
      env = { ...env, [taken[1]]: String(await freePort()) };
    }
  }
};

const startOnce = async (env: NodeJS.ProcessEnv, args: readonly string[]): Promise<StartedNpm> => {
  const child = spawn('npm', ['start', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!LAST_LINE.test(output)) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start printed no banner within 60 s:\n${output}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  const [, accessKey = '', secretKey = ''] = LAST_LINE.exec(output) ?? [];
  return {
    child,
    base: /listening on (http:\/\/\S+)/.exec(output)?.[1] ?? '',
    token: /export TOKEN=(\S+)/.exec(output)?.[1] ?? '',
    accessKey,
    secretKey,
    exports: output
      .split('\n')
      .filter((line) => line.startsWith('export '))
      .join('\n'),
    dataDir: env.DATA_DIR ?? '',
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise((done) => {
        if (child.exitCode !== null) return done(child.exitCode);
        child.once('exit', (code) => done(code));
        child.kill(signal);
      }),
  };
};
