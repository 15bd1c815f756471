import { existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Outcome, runProcess } from '../support/processes.ts';

// Every script as a user runs it, `npm run -s NAME -- ...`, held to scripts/cli/cli.ts's convention.
// Each failure is one the script meets before any DynamoDB Local starts or any AWS call succeeds,
// so the file needs neither.

const scratch = mkdtempSync(join(tmpdir(), 'credential-quota-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const nodeDir = dirname(process.execPath);
const PATH = `${nodeDir}${delimiter}${process.env.PATH ?? ''}`;

/**
 * An environment with no AWS credentials anywhere (no keys, no files, no instance metadata), so a
 * call to AWS fails at once and the same way on every machine, and no local DynamoDB settings.
 */
const BASE_ENV: NodeJS.ProcessEnv = {
  PATH,
  HOME: scratch,
  AWS_REGION: 'eu-west-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'no-credentials'),
  AWS_CONFIG_FILE: join(scratch, 'no-config'),
};

const npmRun = (script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> =>
  runProcess('npm', ['run', '-s', script, '--', ...args], { ...BASE_ENV, ...env });

/** The bench's progress lines on stderr, `bench: [k/N] <block> ...`, which come before whatever ends it. */
const PROGRESS_LINE = /^bench: \[\d+\/\d+\] /;

/**
 * One line on stderr (after the bench's progress lines), starting with the command, mentioning
 * each of `mentions`, and no stack.
 */
const expectOneLine = (outcome: Outcome, exitCode: 1 | 2, command: string, ...mentions: string[]) => {
  expect(outcome.code, outcome.stderr).toBe(exitCode);
  const lines = outcome.stderr
    .trimEnd()
    .split('\n')
    .filter((line) => !PROGRESS_LINE.test(line));
  expect(lines, outcome.stderr).toHaveLength(1);
  expect(lines[0]?.startsWith(`${command}: `), outcome.stderr).toBe(true);
  for (const mention of mentions) expect(lines[0]).toContain(mention);
  expect(outcome.stderr).not.toMatch(/^\s+at /m);
  expect(outcome.stdout).toBe('');
};

/** A PATH with node, npm and sh but no java: DynamoDB Local cannot start, and says so. */
const pathWithoutJava = (): string => {
  const dir = mkdtempSync(join(scratch, 'path-'));
  const npm = PATH.split(delimiter)
    .map((entry) => join(entry, 'npm'))
    .find((candidate) => existsSync(candidate));
  if (!npm) throw new Error('npm is not on PATH');
  symlinkSync(process.execPath, join(dir, 'node'));
  symlinkSync(realpathSync(npm), join(dir, 'npm'));
  symlinkSync('/bin/sh', join(dir, 'sh'));
  return dir;
};

interface ScriptCase {
  readonly command: string;
  /** What the failure is: arguments and environment, and what its line must name. */
  readonly failure: () => {
    readonly args: readonly string[];
    readonly env?: NodeJS.ProcessEnv;
    readonly mentions: readonly string[];
  };
}

const SCRIPTS: Record<string, ScriptCase> = {
  start: {
    command: 'npm start',
    failure: () => ({ args: [], env: { PORT: 'eighty' }, mentions: ['PORT=eighty'] }),
  },
  token: {
    command: 'npm run token',
    failure: () => ({ args: ['--project', 'demo', '--stage', 'dev'], mentions: ['CredentialQuota-dev-Stateless'] }),
  },
  'access-key': {
    command: 'npm run access-key',
    failure: () => ({
      args: ['list', '--project', 'demo', '--stage', 'dev'],
      mentions: ['CredentialQuota-dev-Stateless'],
    }),
  },
  invoke: {
    command: 'npm run invoke',
    failure: () => ({ args: ['registry', 'events/no-such-event.json'], mentions: ['events/no-such-event.json'] }),
  },
  openapi: {
    command: 'npm run openapi',
    failure: () => {
      const out = join(scratch, 'no-such-folder', 'openapi.json');
      return { args: ['--out', out], mentions: [out] };
    },
  },
  migrate: {
    command: 'npm run migrate',
    failure: () => ({ args: ['--stage', 'dev'], mentions: ['CredentialQuota-dev-Stateless', 'credentials'] }),
  },
  bench: {
    command: 'npm run bench',
    failure: () => ({ args: ['--smoke'], env: { PATH: pathWithoutJava() }, mentions: ['java is not on PATH'] }),
  },
};

describe.each(Object.entries(SCRIPTS))('npm run %s', (script, { command, failure }) => {
  it('--help prints the usage on stdout and exits 0, even beside an unknown option', async () => {
    for (const args of [['--help'], ['--bogus', '-h']]) {
      const outcome = await npmRun(script, args);
      expect(outcome.code, outcome.stderr).toBe(0);
      expect(outcome.stdout.startsWith(`usage: npm ${script === 'start' ? 'start' : 'run'}`), outcome.stdout).toBe(
        true,
      );
      expect(outcome.stderr).toBe('');
    }
  });

  it('an unknown option is one line with the usage, exit 2', async () => {
    expectOneLine(await npmRun(script, ['--bogus']), 2, command, "'--bogus'", 'usage: ');
  });

  it('a failure is one line naming what failed, exit 1, no stack', async () => {
    const { args, env, mentions } = failure();
    expectOneLine(await npmRun(script, args, env), 1, command, ...mentions);
  });
});

describe('inputs the API would refuse are refused the same way, before any DynamoDB or AWS call', () => {
  it('access-key: a project id no route takes, an empty action, an action that grants nothing', async () => {
    for (const [args, mention] of [
      [['create', '--project', 'demo#INSTANCE#x'], 'demo#INSTANCE#x'],
      [['create', '--project', '../x'], '../x'],
      [['list', '--project', ''], 'project id'],
      [['create', '--project', 'demo', '--actions', ','], 'empty action'],
      [['create', '--project', 'demo', '--actions', 'apig:app:gets'], 'apig:app:gets'],
      [['create', '--project', 'demo', '--stage', 'Prod!'], 'invalid stage'],
      [['rotate', '--project', 'demo'], 'rotate'],
      [['revoke', '--project', 'demo'], '--access-key'],
      [['list', '--project', 'demo', '--region', 'eu-west-1'], '--region needs --stage'],
    ] as const) {
      expectOneLine(await npmRun('access-key', args), 2, 'npm run access-key', mention);
    }
  });

  it('migrate: a region without a stage, a page size out of range, a stage no stack is named after', async () => {
    for (const [args, mention] of [
      [['--dry-run', '--region', 'eu-west-1'], '--region needs --stage'],
      [['--page-size', '0'], '--page-size 0'],
      [['--dry-run', '--stage', 'Prod!'], 'invalid stage'],
    ] as const) {
      expectOneLine(await npmRun('migrate', args), 2, 'npm run migrate', mention);
    }
  });

  it('token: a project id no route takes, actions that grant nothing', async () => {
    expectOneLine(await npmRun('token', ['--project', '../x']), 2, 'npm run token', '../x');
    expectOneLine(await npmRun('token', ['--project', 'demo', '--actions', ',']), 2, 'npm run token', 'empty action');
  });

  it('DEBUG adds the stack to the failure line', async () => {
    const outcome = await npmRun('migrate', ['--stage', 'dev'], { DEBUG: '1' });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.split('\n')[0]).toContain(
      'npm run migrate: could not read stack CredentialQuota-dev-Stateless',
    );
    expect(outcome.stderr).toMatch(/^\s+at /m);
  });
});

describe('a reader that goes away', () => {
  it('`npm run -s openapi -- --out - | head -1` prints the first line and ends quietly, exit 0', async () => {
    // The document is far larger than a pipe's buffer, so the script is still writing when head exits.
    const outcome = await runProcess('bash', ['-o', 'pipefail', '-c', 'npm run -s openapi -- --out - | head -1'], {
      ...BASE_ENV,
    });
    expect(outcome).toEqual({ code: 0, stdout: '{\n', stderr: '' });
  });
});
