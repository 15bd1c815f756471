import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_REFUSAL_RECHECK_MS as D } from '#domain/refusals.ts';
import { appKey, counterKey } from '#store/table/keys.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { type ManualClock, manualClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { installPartitionModel, itemSize } from '../support/partition-model.ts';
import { countRequests } from '../support/request-counter.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

const T0 = Date.parse('2026-11-23T07:00:00.000Z');
let api: TestApi;
let clock: ManualClock;
beforeAll(async () => {
  clock = manualClock(T0);
  api = await createTestApi({ clock, limits: { appsPerInstance: 250 } });
});
beforeEach(() => clock.set(T0));

/** An instance with one app bound to a quota; `consume` posts to the data plane with its key. */
const boundApp = async (quota: Record<string, unknown> = {}) => {
  const instance = await newInstance(api);
  const created = await instance.call('POST', '/apps', { name: 'caller' });
  const appId: string = created.body.id;
  const appKey: string = created.body.app_key;
  const quotaId = await instance.createQuota('metered', {
    call_limits: 5,
    time_unit: 'MINUTE',
    time_interval: 1,
    ...quota,
  });
  await instance.bind(quotaId, [appId]);
  const consume = (cost?: number, key: unknown = appKey) =>
    instance.call('POST', '/quota-consumptions', cost === undefined ? { app_key: key } : { app_key: key, cost });
  return { ...instance, appId, appKey, quotaId, consume };
};

const iso = (ms: number) => new Date(ms).toISOString();

describe('consume: answers', () => {
  it('admits with the quota, the units left after the call, the window end and the RateLimit fields', async () => {
    const { consume, appId, quotaId } = await boundApp();
    const first = await consume();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      app_id: appId,
      app_quota_id: quotaId,
      limit: 5,
      remaining: 4,
      reset_at: iso(T0 + 60_000),
    });
    expect(first.headers['ratelimit-policy']).toBe(`"${quotaId}";q=5;w=60`);
    expect(first.headers.ratelimit).toBe(`"${quotaId}";r=4;t=60`);
    clock.advance(15_000);
    const second = await consume(2);
    expect(second.body).toMatchObject({ remaining: 2, reset_at: iso(T0 + 60_000) });
    expect(second.headers.ratelimit).toBe(`"${quotaId}";r=2;t=45`);
  });

  it('refuses an exhausted credential with 429 APIG.0308, Retry-After and the RateLimit fields', async () => {
    const { consume, quotaId } = await boundApp();
    for (let n = 0; n < 5; n += 1) expect((await consume()).status).toBe(200);
    clock.advance(20_000);
    const refused = await consume();
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error_code: 'APIG.0308',
      error_msg: `The throttling threshold has been reached: app quota ${quotaId}`,
    });
    expect(refused.headers['retry-after']).toBe('40');
    expect(refused.headers['ratelimit-policy']).toBe(`"${quotaId}";q=5;w=60`);
    expect(refused.headers.ratelimit).toBe(`"${quotaId}";r=0;t=40`);
  });

  it('refuses a call costing more than is left whole, using nothing, and admits one that fits', async () => {
    const { consume } = await boundApp();
    expect((await consume(3)).body.remaining).toBe(2);
    expect((await consume(3)).status).toBe(429);
    expect((await consume(2)).body.remaining).toBe(0);
  });

  it('admits an unbound credential with no quota: the quota fields are null and there are no RateLimit fields', async () => {
    const { call, createApp } = await newInstance(api);
    const appId = await createApp('free');
    const key = (await call('GET', `/apps/${appId}`)).body.app_key;
    const response = await call('POST', '/quota-consumptions', { app_key: key, cost: 1000 });
    expect(response).toMatchObject({
      status: 200,
      body: { app_id: appId, app_quota_id: null, limit: null, remaining: null, reset_at: null },
    });
    expect(response.headers).not.toHaveProperty('ratelimit');
  });

  it('answers an unknown or badly formed app_key 404 APIG.3004 without echoing it, and changes nothing', async () => {
    const { consume } = await boundApp();
    const before = await tableSnapshot(api.db);
    for (const key of ['no-such-key-123', 'short', 12345678, { nested: true }, 'x'.repeat(65), 'bad key!']) {
      const response = await consume(1, key);
      expect(response.status, JSON.stringify(key)).toBe(404);
      expect(response.body).toEqual({ error_code: 'APIG.3004', error_msg: 'The app with this app_key does not exist' });
    }
    expect(await tableSnapshot(api.db)).toEqual(before);
  });

  it('refuses a missing app_key or a cost that is not an integer from 1 to 1000 with 400, changing nothing', async () => {
    const { call, consume } = await boundApp();
    const before = await tableSnapshot(api.db);
    expect((await call('POST', '/quota-consumptions', {})).body.error_msg).toContain('parameterName:app_key.');
    for (const cost of [0, -1, 1001, 1.5, '2', null]) {
      expect((await consume(cost as number)).body.error_msg, String(cost)).toContain('parameterName:cost.');
    }
    expect(await tableSnapshot(api.db)).toEqual(before);
  });
});

describe('consume: windows opened by the first counted call', () => {
  for (const [unit, ms] of [
    ['SECOND', 1000],
    ['MINUTE', 60_000],
    ['HOUR', 3_600_000],
    ['DAY', 86_400_000],
  ] as const) {
    it(`${unit}: 2 x ${unit} windows open at the first call, last 2 units, and reopen at the next call after`, async () => {
      const { consume } = await boundApp({ time_unit: unit, time_interval: 2, call_limits: 2 });
      clock.advance(123);
      const opened = T0 + 123;
      expect((await consume()).body.reset_at).toBe(iso(opened + 2 * ms));
      clock.advance(2 * ms - 1);
      expect((await consume()).body).toMatchObject({ remaining: 0, reset_at: iso(opened + 2 * ms) });
      expect((await consume()).status).toBe(429);
      clock.advance(1 + 777);
      const reopened = opened + 2 * ms + 777;
      expect((await consume()).body).toMatchObject({ remaining: 1, reset_at: iso(reopened + 2 * ms) });
    });
  }
});

describe('consume: windows anchored at reset_time', () => {
  it('runs windows [R + kL, R + (k+1)L) for a reset time in the past', async () => {
    const { consume } = await boundApp({
      time_unit: 'HOUR',
      time_interval: 1,
      reset_time: '2026-11-20 05:05:00',
      call_limits: 1,
    });
    clock.set('2026-11-23T07:10:00.000Z');
    expect((await consume()).body.reset_at).toBe('2026-11-23T08:05:00.000Z');
    expect((await consume()).status).toBe(429);
    clock.set('2026-11-23T08:04:59.999Z');
    expect((await consume()).headers['retry-after']).toBe('1');
    clock.set('2026-11-23T08:05:00.000Z');
    expect((await consume()).body).toMatchObject({ remaining: 0, reset_at: '2026-11-23T09:05:00.000Z' });
  });

  it('runs them before a reset time in the future too', async () => {
    const { consume } = await boundApp({ time_unit: 'DAY', time_interval: 7, reset_time: '2030-01-01 00:00:00' });
    // 2030-01-01 is a Tuesday: the 7-day windows end on Tuesdays, the next one after Monday 2026-11-23.
    expect((await consume()).body.reset_at).toBe('2026-11-24T00:00:00.000Z');
  });

  it('runs them from a reset time far in the past, anchored on whole seconds', async () => {
    const { consume } = await boundApp({
      time_unit: 'SECOND',
      time_interval: 3,
      reset_time: '1970-01-01T00:00:01.900Z',
    });
    clock.set('2026-11-23T07:00:10.100Z');
    // Anchored at 00:00:01 (the fraction dropped): windows start at seconds = 1 (mod 3).
    expect((await consume()).body.reset_at).toBe('2026-11-23T07:00:13.000Z');
  });

  it('ends windows longer than RFC 3339 can write at its last instant', async () => {
    const { consume } = await boundApp({ time_unit: 'DAY', time_interval: 2147483647 });
    expect((await consume()).body).toMatchObject({ remaining: 4, reset_at: '9999-12-31T23:59:59.999Z' });
  });
});

describe('consume: changes take effect for the very next call', () => {
  it('a new limit keeps the units used in the window', async () => {
    const { consume, call, quotaId } = await boundApp({ call_limits: 10 });
    await consume(6);
    await call('PUT', `/app-quotas/${quotaId}`, {
      name: 'metered',
      call_limits: 8,
      time_unit: 'MINUTE',
      time_interval: 1,
    });
    expect((await consume()).body).toMatchObject({ limit: 8, remaining: 1 });
    await call('PUT', `/app-quotas/${quotaId}`, {
      name: 'metered',
      call_limits: 5,
      time_unit: 'MINUTE',
      time_interval: 1,
    });
    expect((await consume()).status).toBe(429);
  });

  it('a new window length starts a fresh window (for refusals from memory, within D)', async () => {
    const { consume, call, quotaId } = await boundApp({ call_limits: 3 });
    await consume(3);
    expect((await consume()).status).toBe(429);
    await call('PUT', `/app-quotas/${quotaId}`, {
      name: 'metered',
      call_limits: 3,
      time_unit: 'MINUTE',
      time_interval: 2,
    });
    // The container saw the window exhausted: it refuses from memory until its next real attempt, D later.
    clock.advance(D - 1);
    expect((await consume()).status).toBe(429);
    clock.advance(1);
    expect((await consume()).body).toMatchObject({ remaining: 2, reset_at: iso(T0 + D + 120_000) });
  });

  it('a new window length starts a fresh window at the very next call after an admission', async () => {
    const { consume, call, quotaId } = await boundApp({ call_limits: 3 });
    await consume(2);
    await call('PUT', `/app-quotas/${quotaId}`, {
      name: 'metered',
      call_limits: 3,
      time_unit: 'MINUTE',
      time_interval: 2,
    });
    expect((await consume(3)).body).toMatchObject({ remaining: 0, reset_at: iso(T0 + 120_000) });
  });

  it('unbind answers with no quota (within D of a refusal from memory), and a new binding starts afresh', async () => {
    const { consume, call, quotaId, appId, bind } = await boundApp({ call_limits: 1 });
    await consume();
    expect((await consume()).status).toBe(429);
    await call('DELETE', `/app-quotas/${quotaId}/bound-apps/${appId}`);
    clock.advance(D);
    expect((await consume()).body.app_quota_id).toBeNull();
    await bind(quotaId, [appId]);
    expect((await consume()).body).toMatchObject({ app_quota_id: quotaId, remaining: 0 });
  });

  it('deleting the quota frees the credential at once', async () => {
    const { consume, call, quotaId } = await boundApp({ call_limits: 1 });
    await consume();
    await call('DELETE', `/app-quotas/${quotaId}`);
    expect((await consume()).body.app_quota_id).toBeNull();
  });

  it('a deleted app is unknown at once, and a new app with the same key is found', async () => {
    const { consume, call, appId, appKey } = await boundApp();
    await consume();
    await call('DELETE', `/apps/${appId}`);
    expect((await consume()).status).toBe(404);
    const again = await call('POST', '/apps', { name: 'caller', app_key: appKey });
    expect((await consume()).body).toMatchObject({ app_id: again.body.id, app_quota_id: null });
  });
});

describe('consume: DynamoDB requests', () => {
  it('costs ONE request in the steady state and on a cold container, two when a window rolls over', async () => {
    const { consume, project, instanceId, appKey } = await boundApp({ call_limits: 100 });
    const counter = countRequests(api.db.client);
    try {
      await consume();
      for (let n = 0; n < 3; n += 1) {
        counter.reset();
        expect((await consume()).status).toBe(200);
        expect(counter.sent).toEqual(['UpdateItem']);
      }
      clock.advance(60_000);
      counter.reset();
      expect((await consume()).body.remaining).toBe(99);
      expect(counter.sent).toEqual(['UpdateItem', 'UpdateItem']);
      counter.reset();
      await consume();
      expect(counter.sent).toEqual(['UpdateItem']);
      // A cold container: nothing remembered about the credential.
      api.deps.subcounters.delete(project, instanceId, appKey);
      counter.reset();
      expect((await consume()).body.remaining).toBe(97);
      expect(counter.sent).toEqual(['UpdateItem']);
    } finally {
      api.db.client.middlewareStack.remove('requestCounter');
    }
  });
});

describe('consume: write units', () => {
  it('is 1 WCU for an app with a 64-character name and a 255-character remark: it writes only the small counter', async () => {
    const { call, createQuota, bind, project, instanceId } = await newInstance(api);
    const name = `A${'n'.repeat(63)}`;
    const key = `K${'k'.repeat(63)}`;
    const created = await call('POST', '/apps', { name, remark: 'r'.repeat(255), app_key: key });
    expect(created.status).toBe(201);
    await bind(await createQuota('metered', { call_limits: 100 }), [created.body.id]);
    const consume = () => call('POST', '/quota-consumptions', { app_key: key });
    expect((await consume()).status).toBe(200);
    const app = await api.db.client.send(
      new GetCommand({ TableName: api.db.tableName, Key: appKey(project, instanceId, created.body.id) }),
    );
    const counter = await api.db.client.send(
      new GetCommand({ TableName: api.db.tableName, Key: counterKey(project, instanceId, key) }),
    );
    // The app item, which consume no longer writes, is the large one; the counter stays far under 1 KB.
    expect(itemSize(marshall(app.Item ?? {}))).toBeGreaterThan(900);
    expect(itemSize(marshall(counter.Item ?? {}))).toBeLessThan(512);
    const model = installPartitionModel(api.db.client, { wcuPerSecond: 1000, now: () => clock.ms });
    try {
      for (let n = 0; n < 3; n += 1) expect((await consume()).status).toBe(200);
      expect(model.byPartition.get(counterKey(project, instanceId, key).pk)).toMatchObject({ wcu: 3, requests: 3 });
      expect(model.wcu).toBe(3);
    } finally {
      model.remove();
    }
  });
});

describe('usage', () => {
  it('shows limit, used, remaining, window start and reset, and nulls for an unbound app', async () => {
    const { consume, call, appId, quotaId, createApp } = await boundApp({ call_limits: 10 });
    expect((await call('GET', `/apps/${appId}/quota-usage`)).body).toEqual({
      app_id: appId,
      app_quota_id: quotaId,
      limit: 10,
      used: 0,
      remaining: 10,
      window_start: null,
      reset_at: null,
    });
    clock.advance(5000);
    await consume(4);
    clock.advance(1000);
    expect((await call('GET', `/apps/${appId}/quota-usage`)).body).toEqual({
      app_id: appId,
      app_quota_id: quotaId,
      limit: 10,
      used: 4,
      remaining: 6,
      window_start: iso(T0 + 5000),
      reset_at: iso(T0 + 65_000),
    });
    const free = await createApp('free');
    expect((await call('GET', `/apps/${free}/quota-usage`)).body).toEqual({
      app_id: free,
      app_quota_id: null,
      limit: null,
      used: null,
      remaining: null,
      window_start: null,
      reset_at: null,
    });
    expect((await call('GET', `/apps/${'3'.repeat(32)}/quota-usage`)).body.error_code).toBe('APIG.3004');
  });

  it('shows the current window of an anchored quota before any call', async () => {
    const { call, appId } = await boundApp({ time_unit: 'HOUR', time_interval: 1, reset_time: '2026-01-01 00:30:00' });
    expect((await call('GET', `/apps/${appId}/quota-usage`)).body).toMatchObject({
      used: 0,
      window_start: '2026-11-23T06:30:00.000Z',
      reset_at: '2026-11-23T07:30:00.000Z',
    });
  });
});
