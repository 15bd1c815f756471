import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { Logger } from '#observability/logger.ts';
import { keepFunctionLog } from '../../scripts/bench/function-log.ts';
import { progressOf } from '../../scripts/bench/progress.ts';
import { CommandFailure } from '../../scripts/cli/cli.ts';
import { THROTTLED_MESSAGE } from '../support/partition-model.ts';

const written = () => {
  const parts: string[] = [];
  return { parts, write: (text: string) => void parts.push(text), text: () => parts.join('') };
};

describe("the bench's progress lines", () => {
  it('tell each block on one line: its title as it starts, its time and summary as it ends', async () => {
    const out = written();
    const progress = progressOf(2, { write: out.write });
    const answer = await progress.block(
      'first',
      async () => 42,
      (value) => `answered ${value}`,
    );
    await progress.block('second', async () => undefined);
    expect(answer).toBe(42);
    expect(out.parts[0]).toBe('bench: [1/2] first ...');
    expect(out.text()).toMatch(
      /^bench: \[1\/2\] first \.\.\. done in \d+\.\d s: answered 42\nbench: \[2\/2\] second \.\.\. done in \d+\.\d s\n$/,
    );
  });

  it('give a note a line of its own and tell the block whole when it ends', async () => {
    const out = written();
    const progress = progressOf(1, { write: out.write });
    await progress.block('operation bind 1', async () => progress.note('bench: bind 1: a warning'));
    expect(out.text()).toMatch(
      /^bench: \[1\/1\] operation bind 1 \.\.\.\nbench: bind 1: a warning\nbench: \[1\/1\] operation bind 1 \.\.\. done in \d+\.\d s\n$/,
    );
  });

  it('end the line of a block that failed, or whose check failed, before the error goes on', async () => {
    const out = written();
    let checks = 0;
    const progress = progressOf(2, {
      write: out.write,
      check: () => {
        checks += 1;
        if (checks === 1) throw new CommandFailure('an error nobody meant');
      },
      onFailure: 'see FILE',
    });
    await expect(progress.block('checked', async () => 1)).rejects.toThrow('an error nobody meant');
    await expect(
      progress.block('thrown', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(out.text()).toMatch(
      /^bench: \[1\/2\] checked \.\.\. failed after \d+\.\d s; see FILE\nbench: \[2\/2\] thrown \.\.\. failed after \d+\.\d s; see FILE\n$/,
    );
  });
});

describe("the bench's function log", () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // What error-mapper logs for a consume the partition model throttled until the SDK gave up.
  const throttled = () =>
    new ProvisionedThroughputExceededException({ message: THROTTLED_MESSAGE, $metadata: { attempts: 3 } });

  it("keeps every line in its file, counts the model's throttling and fails on anything else", () => {
    const logger = new Logger({ level: 'SILENT' });
    const log = keepFunctionLog(join(dir, 'functions.log'), logger);
    logger.info('quota updates swept', { caughtUp: 1 });
    logger.error('dynamodb unavailable after retries', { error: throttled() });
    logger.error('dynamodb unavailable after retries', { error: throttled() });
    expect(log.throttled).toBe(2);
    expect(() => log.check()).not.toThrow();

    // DynamoDB's own throttling, not the model's, was not meant.
    logger.error('dynamodb unavailable after retries', {
      error: new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }),
    });
    logger.error('unexpected error', { error: new TypeError('boom') });
    expect(log.throttled).toBe(2);
    const failure = (() => {
      try {
        log.check();
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(CommandFailure);
    expect((failure as Error).message).toBe(
      `the functions logged 2 warning(s) or error(s) the bench did not mean, the first: ERROR "dynamodb unavailable after retries" (ProvisionedThroughputExceededException: Rate exceeded); their lines are in ${log.file}`,
    );
    const lines = readFileSync(log.file, 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual([
      'quota updates swept',
      'dynamodb unavailable after retries',
      'dynamodb unavailable after retries',
      'dynamodb unavailable after retries',
      'unexpected error',
    ]);
  });
});
