import { describe, expect, it } from 'vitest';
import { SetupError } from '#local/setup-error.ts';
import { CommandFailure, evaluateCommand, UsageError } from '../../scripts/cli/cli.ts';

const SPEC = {
  name: 'npm run demo',
  usage: 'usage: npm run demo -- <a|b> [--count N] [--flag]',
  help: 'Does a demo.',
  config: {
    allowPositionals: true,
    options: { count: { type: 'string' }, flag: { type: 'boolean', default: false } },
  },
} as const;

const run = (argv: string[], main: () => Promise<string | undefined>, env: NodeJS.ProcessEnv = {}) =>
  evaluateCommand(SPEC, argv, main, env);
const never = async (): Promise<string> => {
  throw new Error('main must not run');
};

describe('the scripts’ command-line convention', () => {
  it('--help or -h prints the usage and the details, exit 0, without running the command', async () => {
    for (const argv of [['--help'], ['a', '-h'], ['--bogus', '--help']]) {
      expect(await run(argv, never)).toEqual({ exitCode: 0, stdout: `${SPEC.usage}\n\nDoes a demo.\n` });
    }
  });

  it('--help after `--` is an argument, not a request for help', async () => {
    expect(await run(['--', '--help'], async () => 'ran')).toEqual({ exitCode: 0, stdout: 'ran' });
  });

  it('hands the parsed command line to the command and prints what it returns', async () => {
    let seen: unknown;
    const outcome = await evaluateCommand(SPEC, ['b', '--count', '3', '--flag'], async (args) => {
      seen = args;
      return 'done';
    });
    expect(outcome).toEqual({ exitCode: 0, stdout: 'done' });
    expect(seen).toMatchObject({ values: { count: '3', flag: true }, positionals: ['b'] });
  });

  it('a usage error is one line with the usage, exit 2', async () => {
    expect(await run(['--bogus'], never)).toEqual({
      exitCode: 2,
      stderr: `npm run demo: Unknown option '--bogus'; ${SPEC.usage}`,
    });
    expect(await run(['--count'], never)).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('--count') });
    const thrown = await run([], async () => {
      throw new UsageError('give a or b\nnot both');
    });
    expect(thrown).toEqual({ exitCode: 2, stderr: `npm run demo: give a or b not both; ${SPEC.usage}` });
  });

  it('a failure is one line naming it, exit 1: a known failure as is, anything else with its name', async () => {
    for (const [error, line] of [
      [new SetupError('PORT=x is not a port'), 'npm run demo: PORT=x is not a port'],
      [new CommandFailure('stack S does not exist'), 'npm run demo: stack S does not exist'],
      [new Error('boom'), 'npm run demo: boom (DEBUG=1 shows the stack)'],
      [new TypeError('x is not a function'), 'npm run demo: TypeError: x is not a function (DEBUG=1 shows the stack)'],
    ] as const) {
      const outcome = await run([], async () => {
        throw error;
      });
      expect(outcome).toEqual({ exitCode: 1, stderr: line });
    }
  });

  it('with DEBUG set, the stack follows the line: the cause’s when there is one', async () => {
    const cause = new Error('connect ECONNREFUSED');
    const outcome = await run(
      [],
      async () => {
        throw new CommandFailure('table T: connect ECONNREFUSED', { cause });
      },
      { DEBUG: '1' },
    );
    expect(outcome.exitCode).toBe(1);
    const [line, ...stack] = (outcome.stderr ?? '').split('\n');
    expect(line).toBe('npm run demo: table T: connect ECONNREFUSED');
    expect(stack.join('\n')).toBe(cause.stack);
  });
});
