import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/free-port.ts';
import { type StartedNpm, startNpm } from '../support/npm-start.ts';

interface ShellBlock {
  readonly line: number;
  readonly marker: string | undefined;
  readonly code: string;
}

/** Every ```sh block of the README, with the `<!-- readme-test: ... -->` marker above it. */
const shellBlocks = (markdown: string): ShellBlock[] => {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i] !== '```sh') continue;
    const end = lines.indexOf('```', i + 1);
    let above = i - 1;
    while (above >= 0 && lines[above]?.trim() === '') above -= 1;
    const marker = /^<!-- readme-test: (.+) -->$/.exec(lines[above] ?? '')?.[1];
    blocks.push({ line: i + 1, marker, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
};

const blocks = shellBlocks(readFileSync('README.md', 'utf8'));
const runnable = blocks.filter((block) => block.marker === 'run');

/** The environment of a user's shell: none of the npm_* variables that npm gives this test run. */
const userShell = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') && name !== 'INIT_CWD'),
  ),
  ...extra,
});

const runBash = (code: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> =>
  new Promise((done) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', code], {
      env: userShell(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (exit) => done({ code: exit, output }));
  });

let server: StartedNpm | undefined;
const env: Record<string, string> = {};

/**
 * A `curl` first on PATH that runs the real one with --fail-with-body: the output is the same, but
 * an HTTP error fails the command, and so the block (bash -e, pipefail), even inside `$(...)`.
 */
const strictCurl = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'readme-curl-'));
  const real = (process.env.PATH ?? '')
    .split(delimiter)
    .map((folder) => join(folder, 'curl'))
    .find((file) => {
      try {
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  if (!real) throw new Error('the README needs curl on PATH');
  writeFileSync(join(dir, 'curl'), `#!/bin/sh\nexec ${real} --fail-with-body "$@"\n`);
  chmodSync(join(dir, 'curl'), 0o755);
  return dir;
};
const curlDir = strictCurl();
afterAll(() => rmSync(curlDir, { recursive: true, force: true }));

beforeAll(async () => {
  Object.assign(env, {
    PORT: String(await freePort()),
    DYNAMODB_LOCAL_PORT: String(await freePort()),
    TABLE_NAME: 'readme-test',
  });
  server = await startNpm(userShell(env), ['--', '--in-memory']);
  env.TOKEN = server.token;
}, 90_000);

afterAll(async () => {
  await server?.stop();
});

describe('the README', () => {
  it('marks every shell block as run by this test or skipped with a reason', () => {
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(block.marker, `README.md line ${block.line}`).toMatch(/^(run|skip \(.+\))$/);
    expect(runnable.length).toBeGreaterThanOrEqual(3);
  });

  it('runs every block marked run, as written, against npm start (only its port told apart)', async () => {
    for (const block of runnable) {
      // The blocks say 127.0.0.1:3000, npm start's default; this run's npm start has a free port.
      const code = block.code.replaceAll('127.0.0.1:3000', `127.0.0.1:${env.PORT}`);
      const { code: exit, output } = await runBash(code, { ...env, PATH: `${curlDir}${delimiter}${process.env.PATH}` });
      const where = `README.md line ${block.line}:\n${output}`;
      expect(exit, where).toBe(0);
      expect(output, where).not.toContain('error_code');
      expect(output, where).not.toMatch(/HTTP\/1\.1 [45]\d\d/);
      expect(output, where).not.toMatch(/"statusCode": [45]\d\d/);
      expect(output, where).not.toContain(': null');
    }
  });
});
