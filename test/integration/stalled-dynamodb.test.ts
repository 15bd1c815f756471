import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { secretMatches } from '#domain/secrets.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '#local/dynamodb-local.ts';
import { instancePartition } from '#store/table/keys.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';

// A DynamoDB Local of this file's own, stopped with SIGSTOP as a hung DynamoDB would be: requests
// are accepted by the kernel and wait, unanswered, until SIGCONT, when DynamoDB processes them.
let local: DynamoDbLocal;
let api: TestApi;
let stopped = false;

const pid = (): number => {
  if (local.pid === undefined) throw new Error('DynamoDB Local has no pid');
  return local.pid;
};
// SIGSTOP to a stopped process changes nothing: sent every time, so the flag can never say
// stopped while DynamoDB runs.
const stall = () => {
  process.kill(pid(), 'SIGSTOP');
  stopped = true;
};
const resume = () => {
  if (stopped) process.kill(pid(), 'SIGCONT');
  stopped = false;
};

/**
 * Stops DynamoDB Local just before the next TransactWriteItems leaves: the reads before it are
 * answered. Its `commands` name what the stall caught, so a test can check it caught its own write.
 */
const stallAtNextTransaction = () => {
  const name = `stall-${Math.random()}`;
  const caught: string[] = [];
  api.db.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'TransactWriteItemsCommand' && caught.length === 0) {
        api.db.client.middlewareStack.remove(name);
        caught.push(context.commandName);
        stall();
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return caught;
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The apps of an instance as stored, read straight from the table (not through the service). */
const storedApps = async (projectId: string, instanceId: string) => {
  const { Items = [] } = await api.db.client.send(
    new QueryCommand({
      TableName: api.db.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :app)',
      ExpressionAttributeValues: { ':pk': instancePartition(projectId, instanceId), ':app': 'APP#' },
      ConsistentRead: true,
    }),
  );
  return Items;
};

/** Waits until DynamoDB, resumed, has applied the requests it was holding: the app is stored. */
const landed = async (projectId: string, instanceId: string) => {
  for (let n = 0; n < 300; n += 1) {
    const items = await storedApps(projectId, instanceId);
    if (items.length > 0) return items;
    await sleep(100);
  }
  throw new Error('the stalled create never landed');
};

beforeAll(async () => {
  local = await startDynamoDbLocal({ port: 0, timeoutMs: 90_000 });
  // 3 s per attempt: a loaded CI machine is slow, never that slow; a stopped DynamoDB never answers.
  api = await createTestApi({
    endpoint: local.endpoint,
    timeouts: { connectionTimeoutMs: 3000, requestTimeoutMs: 3000 },
  });
});
afterEach(resume);
afterAll(async () => {
  resume();
  await local?.stop();
});

describe('a create app whose transaction DynamoDB holds unanswered past the retries', () => {
  it('answers 503 CQ.5031 with the client token; the write lands; the repeat under the token gets the 201 and the secret that was made', async () => {
    const { call, project, instanceId, base, token } = await newInstance(api);
    stallAtNextTransaction();
    const first = await call('POST', '/apps', { name: 'late-app' });
    expect(first).toMatchObject({ status: 503, body: { error_code: 'CQ.5031' }, headers: { 'retry-after': '1' } });
    const clientToken = first.headers['x-client-token'] as string;
    expect(clientToken).toMatch(/^[A-Za-z0-9]{32}$/);
    resume();
    const [stored] = await landed(project, instanceId);

    const repeated = await api.call('POST', `${base}/apps`, {
      token,
      body: { name: 'late-app' },
      headers: { 'x-client-token': clientToken },
    });
    expect(repeated.status).toBe(201);
    expect(repeated.headers['x-client-token']).toBe(clientToken);
    expect(repeated.body).toMatchObject({ id: stored?.app_id, name: 'late-app', app_key: stored?.app_key });
    // The secret in the answer is the one the stored hash was made from: nothing was lost.
    expect(await secretMatches(repeated.body.app_secret, stored?.secret_hash as string)).toBe(true);
    // And a second repeat answers the same again, without creating anything.
    const again = await api.call('POST', `${base}/apps`, {
      token,
      body: { name: 'late-app' },
      headers: { 'x-client-token': clientToken },
    });
    expect(again.body).toEqual(repeated.body);
    expect(await storedApps(project, instanceId)).toHaveLength(1);
  });

  it("with the client's own X-Client-Token: the retry the client would send anyway gets the original answer", async () => {
    const { project, instanceId, base, token } = await newInstance(api);
    const request = { token, body: { name: 'named-retry', remark: 'r' }, headers: { 'x-client-token': 'order-4711' } };
    stallAtNextTransaction();
    const first = await api.call('POST', `${base}/apps`, request);
    expect(first).toMatchObject({
      status: 503,
      body: { error_code: 'CQ.5031' },
      headers: { 'x-client-token': 'order-4711' },
    });
    resume();
    const [stored] = await landed(project, instanceId);
    const retry = await api.call('POST', `${base}/apps`, request);
    expect(retry).toMatchObject({ status: 201, body: { id: stored?.app_id, name: 'named-retry', remark: 'r' } });
    expect(await secretMatches(retry.body.app_secret, stored?.secret_hash as string)).toBe(true);
    // The same token on a different request is refused, and creates nothing.
    const other = await api.call('POST', `${base}/apps`, { ...request, body: { name: 'another-app' } });
    expect(other).toMatchObject({ status: 422, body: { error_code: 'CQ.4220' } });
    expect(await storedApps(project, instanceId)).toHaveLength(1);
  });

  it('stalled before anything was written (its first read): 503 CQ.5031 all the same, and the repeat under the token creates the app once', async () => {
    const { call, project, instanceId, base, token } = await newInstance(api);
    stall();
    const first = await call('POST', '/apps', { name: 'never-started' });
    // Nothing left, but the client cannot know that: the token makes the repeat right either way.
    expect(first).toMatchObject({ status: 503, body: { error_code: 'CQ.5031' } });
    resume();
    expect(await storedApps(project, instanceId)).toHaveLength(0);
    const retry = await api.call('POST', `${base}/apps`, {
      token,
      body: { name: 'never-started' },
      headers: { 'x-client-token': first.headers['x-client-token'] as string },
    });
    expect(retry.status).toBe(201);
    const stored = await storedApps(project, instanceId);
    expect(stored.map((item) => item.app_id)).toEqual([retry.body.id]);
    expect(await secretMatches(retry.body.app_secret, stored[0]?.secret_hash as string)).toBe(true);
  });
});

describe('a create of an instance or a quota whose transaction DynamoDB holds past the retries', () => {
  it('an instance: 503 CQ.5032, the outcome is unknown, and the list by name shows what landed', async () => {
    const { project, token } = await newInstance(api);
    const caught = stallAtNextTransaction();
    const instance = await api.call('POST', `/v2/${project}/apigw/instances`, {
      token,
      body: { instance_name: 'late-instance' },
    });
    expect(caught).toEqual(['TransactWriteItemsCommand']);
    expect(instance).toMatchObject({
      status: 503,
      body: { error_code: 'CQ.5032', error_msg: expect.stringContaining('late-instance') },
      headers: { 'retry-after': '1' },
    });
    resume();
    const listed = async () =>
      (await api.call('GET', `/v2/${project}/apigw/instances?name=late-instance`, { token })).body.total;
    for (let n = 0; n < 300 && (await listed()) === 0; n += 1) await sleep(100);
    expect(await listed()).toBe(1);
  });

  it('a quota: 503 CQ.5032, the outcome is unknown, and the list by name shows what landed', async () => {
    const { call } = await newInstance(api);
    const caught = stallAtNextTransaction();
    const quota = await call('POST', '/app-quotas', {
      name: 'late_quota',
      call_limits: 5,
      time_unit: 'MINUTE',
      time_interval: 1,
    });
    expect(caught).toEqual(['TransactWriteItemsCommand']);
    expect(quota).toMatchObject({ status: 503, body: { error_code: 'CQ.5032' } });
    resume();
    const quotas = async () => (await call('GET', '/app-quotas?name=late_quota')).body.total;
    for (let n = 0; n < 300 && (await quotas()) === 0; n += 1) await sleep(100);
    expect(await quotas()).toBe(1);
  });
});
