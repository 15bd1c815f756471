import { spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/free-port.ts';
import { brokenLinks, headingAnchors, shellBlocks } from '../support/markdown.ts';
import { type StartedNpm, startNpm } from '../support/npm-start.ts';

/** The pages a reader is sent to: the README and every page of docs/, each as a path from the repository root. */
const PAGES = [
  'README.md',
  ...readdirSync('docs')
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const texts = PAGES.map((file) => ({ file, markdown: readFileSync(file, 'utf8') }));
const parsed = texts.map(({ file, markdown }) => shellBlocks(file, markdown));
const blocks = parsed.flatMap((page) => page.blocks);
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

describe('the README and docs/*.md', () => {
  it('mark every shell block as run by this test or skipped with a reason', () => {
    expect(PAGES.length).toBeGreaterThan(1);
    expect(parsed.flatMap((page) => page.problems)).toEqual([]);
    const unmarked = blocks
      .filter((block) => !/^(run|skip \(.+\))$/.test(block.marker ?? ''))
      .map((block) => `${block.file} line ${block.line}: ${block.marker ?? 'no <!-- readme-test: ... --> marker'}`);
    expect(unmarked).toEqual([]);
    // The newcomer's walkthrough is run: it goes as far as consume.
    expect(runnable.some((block) => block.file === 'README.md' && block.code.includes('/quota-consumptions'))).toBe(
      true,
    );
  });

  it("name the local API only through BASE, with npm start's default as its fallback", () => {
    // A block that names a port works only on that port; BASE comes from npm start's exports.
    const fallback = ['$', '{BASE:-http://127.0.0.1:3000}'].join('');
    const pinned = runnable
      .filter((block) => /127\.0\.0\.1|localhost/.test(block.code.replaceAll(fallback, '')))
      .map((block) => `${block.file} line ${block.line}`);
    expect(pinned).toEqual([]);
  });

  it('link only to files, and headings, that exist', () => {
    expect(texts.flatMap(({ file, markdown }) => brokenLinks(file, markdown))).toEqual([]);
  });

  it('would catch a block without a marker, an unclosed fence, a missing file and a missing heading', () => {
    const page = [
      '# Page',
      '## Two words: here',
      '<!-- readme-test: run -->',
      '```sh',
      'echo [not](a-link.md)',
      '```',
      '- in a list:',
      '  ```bash',
      '  echo unmarked',
      '  ```',
      'See [one](#two-words-here), [two](#nowhere), [three](no-such-file.md), [four](README.md#contents),',
      '`[code](no-such-file.md)`, [five](https://example.com/x.md), [six](../../outside.md).',
      '```sh',
    ].join('\n');
    const { blocks: found, problems } = shellBlocks('docs/page.md', page);
    expect(found.map(({ line, marker, code }) => ({ line, marker, code }))).toEqual([
      { line: 4, marker: 'run', code: 'echo [not](a-link.md)' },
      { line: 8, marker: undefined, code: 'echo unmarked' },
    ]);
    expect(problems).toEqual(['docs/page.md line 13: the fence is never closed']);
    expect(brokenLinks('docs/page.md', page)).toEqual([
      'docs/page.md line 11: #nowhere (no heading docs/page.md#nowhere)',
      'docs/page.md line 11: no-such-file.md (no such file)',
      'docs/page.md line 11: README.md#contents (no such file)',
      'docs/page.md line 12: ../../outside.md (outside the repository)',
    ]);
    expect(headingAnchors('# A\n## A\n## `npm start` in detail\n```sh\n# a comment\n```')).toEqual(
      new Set(['a', 'a-1', 'npm-start-in-detail']),
    );
  });
});

describe('the blocks marked run', () => {
  let server: StartedNpm | undefined;
  const curlDir = strictCurl();
  // As a user who set both ports in their shell: neither is npm start's default.
  const ports: Record<string, string> = {};

  beforeAll(async () => {
    Object.assign(ports, { PORT: String(await freePort()), DYNAMODB_LOCAL_PORT: String(await freePort()) });
    server = await startNpm(userShell({ ...ports, TABLE_NAME: 'readme-test' }), ['--', '--in-memory']);
    // npm start moves to another free port when the one given was taken meanwhile: use its own.
    ports.PORT = new URL(server.base).port;
    const storage = /DynamoDB Local at http:\/\/127\.0\.0\.1:(\d+)/.exec(server.output())?.[1];
    if (!storage) throw new Error(`npm start's banner names no DynamoDB Local port:\n${server.output()}`);
    ports.DYNAMODB_LOCAL_PORT = storage;
    expect([ports.PORT, ports.DYNAMODB_LOCAL_PORT]).not.toContain('3000');
    expect([ports.PORT, ports.DYNAMODB_LOCAL_PORT]).not.toContain('8000');
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(curlDir, { recursive: true, force: true });
  });

  for (const block of runnable) {
    it(`${block.file} line ${block.line} runs as written in a second terminal, after npm start's exports are pasted`, async () => {
      // A second process, as a second terminal: npm start's `export ...` lines pasted, then the
      // block exactly as the page has it.
      const code = `${server?.exports}\n${block.code}`;
      const { code: exit, output } = await runBash(code, {
        ...ports,
        PATH: `${curlDir}${delimiter}${process.env.PATH}`,
      });
      const where = `${block.file} line ${block.line}:\n${output}`;
      expect(exit, where).toBe(0);
      expect(output, where).not.toContain('error_code');
      expect(output, where).not.toMatch(/HTTP\/1\.1 [45]\d\d/);
      expect(output, where).not.toMatch(/"statusCode": [45]\d\d/);
      expect(output, where).not.toContain(': null');
    });
  }
});
