import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/free-port.ts';
import { ensurePortFree } from '#local/listen.ts';

const scratch = mkdtempSync(join(tmpdir(), 'credential-quota-setup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Outcome {
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs a local command (`node scripts/<name>.ts`, what its npm script runs) to its end. */
const run = (script: string, args: string[], env: Record<string, string>): Promise<Outcome> =>
  new Promise((done) => {
    const child = spawn(process.execPath, [`scripts/${script}.ts`, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stderr });
    });
  });

/**
 * The one line a mistake must give: the command, the setting, the fix, and no stack; exit 1 for a
 * failure (a setting, a file), 2 for a wrong command line (scripts/cli/cli.ts).
 */
const expectLine =
  (exitCode: 1 | 2) =>
  (outcome: Outcome, command: string, ...mentions: string[]) => {
    expect(outcome.code, outcome.stderr).toBe(exitCode);
    const lines = outcome.stderr.trim().split('\n');
    expect(lines, outcome.stderr).toHaveLength(1);
    expect(lines[0]?.startsWith(`${command}: `), outcome.stderr).toBe(true);
    for (const mention of mentions) expect(lines[0]).toContain(mention);
    expect(outcome.stderr).not.toMatch(/^\s+at /m);
  };
const expectOneLine = expectLine(1);
const expectUsageLine = expectLine(2);

const holdPort = async (host: string): Promise<{ port: number; server: Server }> => {
  const port = await freePort();
  const server = createServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}'));
  await new Promise<void>((done) => server.listen(port, host, () => done()));
  return { port, server };
};

const close = (server: Server) => new Promise((done) => server.close(done));

const fresh = async () => ({
  PORT: String(await freePort()),
  DYNAMODB_LOCAL_PORT: String(await freePort()),
  DATA_DIR: join(scratch, 'data'),
});

describe('npm start: a wrong setting is one line naming it and the fix', () => {
  it('PORT and DYNAMODB_LOCAL_PORT that are not port numbers', async () => {
    for (const value of ['abc', '0', '65536', '3000.5', '-1']) {
      expectOneLine(
        await run('start', [], { ...(await fresh()), PORT: value }),
        'npm start',
        `PORT=${value}`,
        '1 to 65535',
      );
      expectOneLine(
        await run('start', [], { ...(await fresh()), DYNAMODB_LOCAL_PORT: value }),
        'npm start',
        `DYNAMODB_LOCAL_PORT=${value}`,
        '1 to 65535',
      );
    }
  });

  it('a PORT another process listens on, told before DynamoDB Local starts', async () => {
    const held = await holdPort('127.0.0.1');
    try {
      const env = { ...(await fresh()), PORT: String(held.port) };
      expectOneLine(await run('start', [], env), 'npm start', `PORT=${held.port}`, 'free port');
      expect(await ensurePortFree(Number(env.DYNAMODB_LOCAL_PORT), 'x').then(() => true)).toBe(true);
    } finally {
      await close(held.server);
    }
  });

  it('a foreign server on DYNAMODB_LOCAL_PORT is refused, not used, on any interface it holds', async () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const held = await holdPort(host);
      try {
        const env = { ...(await fresh()), DYNAMODB_LOCAL_PORT: String(held.port) };
        expectOneLine(
          await run('start', [], env),
          'npm start',
          `DYNAMODB_LOCAL_PORT=${held.port}`,
          'set DYNAMODB_LOCAL_PORT to a free port',
          'DYNAMODB_ENDPOINT',
        );
        expect(await ensurePortFree(Number(env.PORT), 'x').then(() => true)).toBe(true);
      } finally {
        await close(held.server);
      }
    }
  });

  it('no java on PATH', async () => {
    const onlyNode = mkdtempSync(join(scratch, 'path-'));
    symlinkSync(process.execPath, join(onlyNode, 'node'));
    expectOneLine(
      await run('start', [], { ...(await fresh()), PATH: onlyNode }),
      'npm start',
      'java is not on PATH',
      'Java 17+',
      'DYNAMODB_ENDPOINT',
    );
  });

  it('a DATA_DIR that is a file, a TABLE_NAME DynamoDB cannot take, a DYNAMODB_ENDPOINT that is no URL or does not answer', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    expectOneLine(
      await run('start', [], { ...(await fresh()), DATA_DIR: file }),
      'npm start',
      `DATA_DIR=${file}`,
      'folder',
    );
    expectOneLine(await run('start', [], { ...(await fresh()), TABLE_NAME: 'x' }), 'npm start', 'TABLE_NAME=x');
    expectOneLine(
      await run('start', [], { ...(await fresh()), DYNAMODB_ENDPOINT: 'localhost:8000' }),
      'npm start',
      'DYNAMODB_ENDPOINT=localhost:8000',
      'http',
    );
    const nobody = `http://127.0.0.1:${await freePort()}`;
    expectOneLine(
      await run('start', [], { ...(await fresh()), DYNAMODB_ENDPOINT: nobody }),
      'npm start',
      `DYNAMODB_ENDPOINT=${nobody} does not answer`,
      'unset DYNAMODB_ENDPOINT',
    );
  });

  it('a QUOTA_SWEEP_INTERVAL_SECONDS that is not a whole number of seconds from 1 to 86400', async () => {
    for (const value of ['0', '1.5', 'often']) {
      expectOneLine(
        await run('start', [], { ...(await fresh()), QUOTA_SWEEP_INTERVAL_SECONDS: value }),
        'npm start',
        `QUOTA_SWEEP_INTERVAL_SECONDS=${value}`,
        'integer from 1 to 86400',
      );
    }
  });

  it('a LOCAL_FUNCTION_TIMEOUT_SECONDS that is not a whole number of seconds from 2 to 900', async () => {
    for (const value of ['1', '901', 'slow']) {
      expectOneLine(
        await run('start', [], { ...(await fresh()), LOCAL_FUNCTION_TIMEOUT_SECONDS: value }),
        'npm start',
        `LOCAL_FUNCTION_TIMEOUT_SECONDS=${value}`,
        'integer from 2 to 900',
      );
    }
  });

  it('an unknown option', async () => {
    expectUsageLine(await run('start', ['--in-memroy'], await fresh()), 'npm start', '--in-memroy', 'usage: npm start');
  });
});

describe('npm run invoke: a wrong argument is one line', () => {
  it('a missing event file, an event that is not JSON, an unknown function, a missing --var', async () => {
    expectOneLine(
      await run('invoke', ['registry', 'events/no-such-event.json'], {}),
      'npm run invoke',
      'events/no-such-event.json does not exist',
    );
    const notJson = join(scratch, 'not-json.json');
    writeFileSync(notJson, '{"version": ');
    expectOneLine(await run('invoke', ['registry', notJson], {}), 'npm run invoke', `${notJson} is not JSON`);
    expectUsageLine(await run('invoke', ['nope', 'events/create-instance.json'], {}), 'npm run invoke', 'usage:');
    expectOneLine(
      await run('invoke', ['registry', 'events/create-app.json'], {}),
      'npm run invoke',
      '--var for: instance_id',
    );
  });
});
