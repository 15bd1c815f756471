import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { secretMatches } from '#domain/secrets.ts';
import { lambdaContext } from '#local/api-gateway-event.ts';
import type { FunctionName } from '#routing/route-types.ts';
import { SDK_SETTINGS } from '#store/table/client.ts';
import { instancePartition } from '#store/table/keys.ts';
import { createTestApi, type TestApi, type TestRequest, testEvent, testResponse } from '../support/api-client.ts';
import { type DelayingProxy, startDelayingProxy } from '../support/delaying-proxy.ts';
import { newInstance } from '../support/fixtures.ts';

// DynamoDB behind a proxy that slows reads and holds writes, as a sick network does (not a
// synthetic error): the setup goes through it untouched with the tests' generous timeouts, the
// request under test through a client with AWS's own timeouts and a function whose deadline is near.
let proxy: DelayingProxy;
let setup: TestApi;
let aws: TestApi;

/** A function with 3 s left: one slow read and one stalled write outlast it. */
const DEADLINE_MS = 3000;
const READS = new Set(['GetItem', 'BatchGetItem', 'Query']);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Calls the API with AWS's timeouts, the function's deadline `DEADLINE_MS` away; with how long it took. */
const callNearDeadline = async (method: string, url: string, request: TestRequest) => {
  const { fn, event } = testEvent(method, url, request);
  const started = Date.now();
  const response = testResponse(await aws.invoke(fn as FunctionName, event, lambdaContext(fn, DEADLINE_MS)));
  return { ...response, tookMs: Date.now() - started };
};

/** Slows every read by `delayMs` (each still answered within AWS's 1 s) and holds every write. */
const slowReadsStalledWrites = (delayMs = 300) =>
  proxy.route((operation) => (READS.has(operation) ? { delayMs } : 'hold'));

const storedApps = async (projectId: string, instanceId: string) => {
  const { Items = [] } = await setup.db.client.send(
    new QueryCommand({
      TableName: setup.db.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :app)',
      ExpressionAttributeValues: { ':pk': instancePartition(projectId, instanceId), ':app': 'APP#' },
      ConsistentRead: true,
    }),
  );
  return Items;
};

/** Polls `probe` until it holds (DynamoDB applies released writes in its own time). */
const eventually = async (probe: () => Promise<boolean>) => {
  for (let n = 0; n < 300; n += 1) {
    if (await probe()) return;
    await sleep(100);
  }
  throw new Error('the released write never landed');
};

beforeAll(async () => {
  proxy = await startDelayingProxy(inject('dynamodbEndpoint'));
  setup = await createTestApi({ endpoint: proxy.endpoint });
  aws = await createTestApi({
    endpoint: proxy.endpoint,
    tableName: setup.db.tableName,
    timeouts: {
      connectionTimeoutMs: SDK_SETTINGS.connectionTimeoutMs,
      requestTimeoutMs: SDK_SETTINGS.requestTimeoutMs,
    },
  });
});
beforeEach(() => {
  proxy.seen.length = 0;
});
// A test that failed midway must not leave the next one's setup held.
afterEach(() => proxy.release());
afterAll(async () => {
  await proxy?.close();
});

describe("a request that outlasts its function's deadline, with AWS's timeouts", () => {
  it('create app: its read answered slowly, its transaction stalled past the deadline: 503 CQ.5031 before the deadline, and the repeat under the token gives the secret that landed', async () => {
    const { project, instanceId, base, token } = await newInstance(setup);
    slowReadsStalledWrites();
    const first = await callNearDeadline('POST', `${base}/apps`, { token, body: { name: 'late-app' } });
    expect(first).toMatchObject({ status: 503, body: { error_code: 'CQ.5031' }, headers: { 'retry-after': '1' } });
    // Answered by the request's own deadline, before Lambda's would have cut it off.
    expect(first.tookMs).toBeLessThan(DEADLINE_MS);
    expect(proxy.seen).toContainEqual({ operation: 'TransactWriteItems', action: 'hold' });
    const clientToken = first.headers['x-client-token'] as string;

    proxy.release();
    await eventually(async () => (await storedApps(project, instanceId)).length > 0);
    const [stored] = await storedApps(project, instanceId);
    const repeated = await setup.call('POST', `${base}/apps`, {
      token,
      body: { name: 'late-app' },
      headers: { 'x-client-token': clientToken },
    });
    expect(repeated).toMatchObject({ status: 201, body: { id: stored?.app_id, name: 'late-app' } });
    expect(await secretMatches(repeated.body.app_secret, stored?.secret_hash as string)).toBe(true);
    expect(await storedApps(project, instanceId)).toHaveLength(1);
  });

  it('bind: its reads answered slowly, its transaction stalled past the deadline: 503 CQ.5032 (never CQ.5030), and the same request again answers 201 with the app bound once', async () => {
    const { base, token, createApp, createQuota } = await newInstance(setup);
    const appId = await createApp('to-bind');
    const quotaId = await createQuota('q_deadline');
    const bind = { token, body: { app_ids: [appId] } };
    slowReadsStalledWrites(250);
    const first = await callNearDeadline('POST', `${base}/app-quotas/${quotaId}/binding-apps`, bind);
    expect(first).toMatchObject({
      status: 503,
      body: { error_code: 'CQ.5032', error_msg: expect.stringContaining('send the same request again') },
    });
    expect(first.tookMs).toBeLessThan(DEADLINE_MS);

    proxy.release();
    const bound = async () =>
      (await setup.call('GET', `${base}/app-quotas/${quotaId}/bound-apps`, { token })).body.total as number;
    await eventually(async () => (await bound()) === 1);
    const again = await setup.call('POST', `${base}/app-quotas/${quotaId}/binding-apps`, bind);
    expect(again.status).toBe(201);
    expect(await bound()).toBe(1);
    expect((await setup.call('GET', `${base}/app-quotas/${quotaId}`, { token })).body.bound_app_num).toBe(1);
  });

  it('update app: its read held past the deadline, so nothing was written: 503 CQ.5030, and the app is unchanged', async () => {
    const { base, token, createApp } = await newInstance(setup);
    const appId = await createApp('unchanged');
    proxy.route(() => 'hold');
    const first = await callNearDeadline('PUT', `${base}/apps/${appId}`, { token, body: { name: 'renamed' } });
    expect(first).toMatchObject({ status: 503, body: { error_code: 'CQ.5030' }, headers: { 'retry-after': '1' } });
    expect(proxy.seen.at(-1)?.action).toBe('hold');
    expect(proxy.seen.filter((seen) => seen.operation === 'TransactWriteItems' && seen.action === 'hold')).toEqual([]);

    proxy.release();
    // Held reads go on to DynamoDB and change nothing; no write followed them.
    await sleep(500);
    expect((await setup.call('GET', `${base}/apps/${appId}`, { token })).body.name).toBe('unchanged');
  });
});
