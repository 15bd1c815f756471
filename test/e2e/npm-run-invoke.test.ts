import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);

/** Runs `node scripts/invoke.ts` (what `npm run invoke` runs) against the suite's DynamoDB Local. */
const invoke = async (...args: string[]) => {
  const { stdout } = await run(process.execPath, ['scripts/invoke.ts', ...args], {
    env: { ...process.env, DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'), TABLE_NAME: `invoke-${randomUUID()}` },
  });
  // biome-ignore lint/suspicious/noExplicitAny: an API result or a sweep report
  return JSON.parse(stdout) as any;
};

describe('npm run invoke', () => {
  it('runs a function handler on a sample event, filling in a fresh token, and prints the result', async () => {
    const result = await invoke('registry', 'events/create-instance.json');
    expect(result.statusCode).toBe(201);
    expect(JSON.parse(result.body)).toMatchObject({ instance_name: 'gateway_demo' });
  });

  it('fills {{name}} placeholders from --var', async () => {
    const result = await invoke('registry', 'events/show-instance.json', '--var', `instance_id=${'e'.repeat(32)}`);
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body)).toMatchObject({ error_code: 'APIG.3030' });
  });

  it("sends app-quotas the schedule's event: one sweep of the quota deletes and split updates under way, and its report", async () => {
    expect(await invoke('app-quotas', 'events/sweep.json')).toEqual({
      deletes: { finished: 0, stale: 0, failed: 0, deferred: false },
      updates: { caughtUp: 0, dropped: 0, left: 0, failed: 0, deferred: false },
    });
  });

  it('refuses to run an event whose placeholders have no value', async () => {
    await expect(invoke('registry', 'events/show-app.json')).rejects.toMatchObject({
      stderr: expect.stringContaining('instance_id, app_id'),
    });
  });
});
