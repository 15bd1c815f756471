import { execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/free-port.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What a fresh clone does not have: installed packages, history, local data, build output. */
const NOT_CLONED = new Set([
  'node_modules',
  '.git',
  '.data',
  'cdk.out',
  'coverage',
  join('packages', 'quota-guard', 'dist'),
]);

/**
 * The machine as a user's shell has it: PATH without any node_modules/.bin (this test runs under
 * npm's Node 24, whose PATH has this repository's first), so `node` is the machine's own.
 */
const machineEnv = (): NodeJS.ProcessEnv => ({
  PATH: (process.env.PATH ?? '')
    .split(':')
    .filter((entry) => !entry.includes(`${sep}node_modules${sep}`))
    .join(':'),
  HOME: process.env.HOME ?? '',
});
const machineNodeMajor = (): number =>
  Number(execFileSync('node', ['--version'], { env: machineEnv(), encoding: 'utf8' }).slice(1).split('.')[0]);

/** What npm itself prints around a script (its `> name start` header, its `npm error` summary): not the script's. */
const scriptLines = (output: string): string[] =>
  output.split('\n').filter((line) => line.trim() !== '' && !/^(> |npm (error|warn|notice) )/.test(line));

/** Runs `npm ARGS` in `cwd` until it exits, or until its output matches `until` (then stops it). */
const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv, until: RegExp) =>
  new Promise<{ code: number | null; output: string; matched: boolean }>((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let matched = false;
    const timer = setTimeout(
      () => reject(new Error(`npm ${args.join(' ')}: neither exited nor matched:\n${output}`)),
      90_000,
    );
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (!matched && until.test(output)) {
        matched = true;
        // The whole group: npm, the shell it runs the script in, and what that started.
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, matched });
    });
  });

let clone: string;

beforeAll(async () => {
  clone = mkdtempSync(join(tmpdir(), 'ignore-scripts-'));
  cpSync(ROOT, clone, { recursive: true, filter: (path) => !NOT_CLONED.has(relative(ROOT, path)) });
  // The npm cache has every package after this repository's own `npm ci`; packuments it lacks are
  // fetched (the lockfile records no tarball URLs, so a strict --offline cannot resolve them).
  await run('npm', ['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: clone,
    env: machineEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
}, 180_000);

afterAll(() => rmSync(clone, { recursive: true, force: true }));

describe('npm ci --ignore-scripts: the node devDependency did not install Node 24', () => {
  it('npm start works on a Node 24 machine, or says in one line how to get Node 24', async () => {
    const env = {
      ...machineEnv(),
      PORT: String(await freePort()),
      DYNAMODB_LOCAL_PORT: String(await freePort()),
      DATA_DIR: join(clone, '.data'),
    };
    const { code, output, matched } = await npm(['start'], clone, env, /listening on http:\/\//);
    if (machineNodeMajor() >= 24) {
      expect(matched, output).toBe(true);
    } else {
      expect(code, output).toBe(1);
      expect(scriptLines(output), output).toEqual([
        expect.stringMatching(
          /^npm start needs Node 24\+ \(this is Node 2?\d\.[\d.]+\): run `npm rebuild node` .*`nvm use`/,
        ),
      ]);
    }
  }, 120_000);
});
