import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/free-port.ts';
import { runStateFile } from '#local/run-state.ts';
import { type StartedNpm, startNpm } from '../support/npm-start.ts';
import { runProcess } from '../support/processes.ts';

/** A shell's environment with none of the local run's settings: a second terminal that set nothing. */
const bareShell = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const name of ['DYNAMODB_ENDPOINT', 'DYNAMODB_LOCAL_PORT', 'PORT', 'TABLE_NAME', 'DATA_DIR']) delete env[name];
  return env;
};

const npm = (args: string[], env: NodeJS.ProcessEnv) => runProcess('npm', args, env);

let server: StartedNpm | undefined;
let dataDir: string;
let dynamodb: string;

beforeAll(async () => {
  dataDir = join(mkdtempSync(join(tmpdir(), 'second-terminal-')), 'data');
  server = await startNpm({
    ...bareShell(),
    PORT: String(await freePort()),
    DYNAMODB_LOCAL_PORT: String(await freePort()),
    DATA_DIR: dataDir,
    TABLE_NAME: 'second-terminal',
  });
  dynamodb = /export DYNAMODB_ENDPOINT=(\S+)/.exec(server.exports)?.[1] ?? '';
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('a second terminal next to npm start, with only DATA_DIR in common', () => {
  it('npm start says where it is in DATA_DIR/local-run.json, and prints BASE and the DynamoDB as exports', () => {
    expect(server?.exports).toContain(`export BASE=${server?.base}`);
    expect(dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(JSON.parse(readFileSync(runStateFile(dataDir), 'utf8'))).toMatchObject({
      command: 'npm start',
      transient: false,
      base: server?.base,
      dynamodbEndpoint: dynamodb,
      tableName: 'second-terminal',
    });
  });

  it('npm run access-key and invoke use npm start’s DynamoDB and table, starting none of their own', async () => {
    const env = { ...bareShell(), DATA_DIR: dataDir };
    const listed = await npm(['run', '-s', 'access-key', '--', 'list', '--project', 'demo'], env);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    // The demo key npm start wrote into its table, so this is that table, in that DynamoDB.
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ access_key: server?.accessKey })]);
    const invoked = await npm(['run', '-s', 'invoke', '--', 'registry', 'events/health.json'], env);
    expect(invoked.code).toBe(0);
    expect(invoked.stderr.trim()).toBe(`npm run invoke: using the DynamoDB already running at ${dynamodb}`);
    // npm start still holds the folder: nobody took it over, nor let it go.
    expect(JSON.parse(readFileSync(runStateFile(dataDir), 'utf8'))).toMatchObject({
      command: 'npm start',
      transient: false,
      base: server?.base,
    });
  });

  it('a second npm start on the same DATA_DIR stops with one line naming the first', async () => {
    const second = await npm(['start'], {
      ...bareShell(),
      PORT: String(await freePort()),
      DYNAMODB_LOCAL_PORT: String(await freePort()),
      DATA_DIR: dataDir,
    });
    expect(second.code).toBe(1);
    const lines = second.stderr.split('\n').filter((line) => line.trim() !== '' && !/^npm (error|warn)/.test(line));
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^npm start: DATA_DIR=${dataDir} is in use by npm start \\(pid \\d+, API ${server?.base}, DynamoDB ${dynamodb}\\): stop it, or set DATA_DIR to another folder$`,
        ),
      ),
    ]);
  });

  it('once npm start stops, its claim is gone', async () => {
    expect(await server?.stop()).toBe(0);
    server = undefined;
    expect(existsSync(runStateFile(dataDir))).toBe(false);
  });
});
