import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { manualClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { inFlight } from '../support/in-flight.ts';
import { countRequests } from '../support/request-counter.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

/** An app bound to a quota whose windows are spread over `subcounters` sub-counters. */
const hotApp = async (
  callLimits: number,
  subcounters: number,
  extra: Record<string, unknown> = {},
  on: TestApi = api,
) => {
  const instance = await newInstance(on);
  const created = await instance.call('POST', '/apps', { name: 'hot' });
  const quotaId = await instance.createQuota('spread', {
    call_limits: callLimits,
    time_unit: 'HOUR',
    time_interval: 1,
    subcounters,
    ...extra,
  });
  expect((await instance.bind(quotaId, [created.body.id])).status).toBe(201);
  const consume = (cost = 1) => instance.call('POST', '/quota-consumptions', { app_key: created.body.app_key, cost });
  const usage = async () => (await instance.call('GET', `/apps/${created.body.id}/quota-usage`)).body;
  return {
    ...instance,
    quotaId,
    appId: created.body.id as string,
    appKey: created.body.app_key as string,
    consume,
    usage,
  };
};

/** The counters of one credential, straight from the table (a test's view). */
const countersOf = async (appKey: string) => {
  const page = await api.db.client.send(
    new ScanCommand({
      TableName: api.db.tableName,
      ConsistentRead: true,
      FilterExpression: 'contains(pk, :key) AND #type = :counter',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':key': `#APPKEY#${appKey}#`, ':counter': 'counter' },
    }),
  );
  return page.Items ?? [];
};

describe('sub-counters', () => {
  it('bind writes one counter per sub-counter, each with its share of the limit, adding up to it', async () => {
    const { appKey } = await hotApp(10, 4);
    const counters = await countersOf(appKey);
    expect(counters.map((c) => c.limit_units).sort()).toEqual([2, 2, 3, 3]);
    for (const counter of counters) {
      expect(counter).toMatchObject({ subcounters: 4, call_limits: 10 });
      expect(counter).not.toHaveProperty('lsi1sk');
      expect(counter).not.toHaveProperty('lsi2sk');
    }
  });

  it('400 concurrent calls (64 in flight) against a limit of 100 over 4 sub-counters admit exactly 100', async () => {
    const { consume, usage } = await hotApp(100, 4);
    const responses = await inFlight(400, 64, () => consume());
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300);
    // Every admitted call counted in the credential's one window, whichever sub-counter took it.
    expect(new Set(responses.filter((r) => r.status === 200).map((r) => r.body.reset_at)).size).toBe(1);
    expect(await usage()).toMatchObject({ used: 100, remaining: 0 });
  });

  it('with mixed costs never admits more than the limit, and refuses only when no sub-counter has the cost left', async () => {
    const limit = 300;
    const subcounters = 4;
    const { consume, usage } = await hotApp(limit, subcounters);
    const costs = Array.from({ length: 200 }, (_, n) => [1, 2, 3, 5, 8][n % 5] as number);
    const responses = await inFlight(costs.length, 64, (n) => consume(costs[n] as number));
    let admitted = 0;
    for (const [n, response] of responses.entries()) {
      if (response.status === 200) admitted += costs[n] as number;
      else expect(response.status).toBe(429);
    }
    expect(admitted).toBeLessThanOrEqual(limit);
    const after = await usage();
    expect(after.used).toBe(admitted);
    // The refusal-while-units-remain bound: each sub-counter has at most cost - 1 left, so at most
    // subcounters x (largest cost - 1) units are left when the largest cost is refused.
    if (responses.some((r, n) => r.status === 429 && costs[n] === 8)) {
      expect(limit - admitted).toBeLessThanOrEqual(subcounters * 7);
    }
    // Calls of cost 1 take every unit left, wherever it is: nothing stays unused.
    for (let left = after.remaining; left > 0; left -= 1) expect((await consume(1)).status).toBe(200);
    expect(await usage()).toMatchObject({ used: limit, remaining: 0 });
    expect((await consume(1)).status).toBe(429);
  });

  it('a warm consume is one request on the sub-counter it aims at; a cold one learns the count from the main counter', async () => {
    const { consume, project, instanceId, appKey } = await hotApp(1000, 4, { reset_time: '2026-01-01 00:00:00' });
    const counter = countRequests(api.db.client);
    try {
      api.deps.subcounters.delete(project, instanceId, appKey);
      // Each sub-counter opens its window once (round robin: 8 calls reach all 4).
      for (let n = 0; n < 8; n += 1) await consume();
      for (let n = 0; n < 8; n += 1) {
        counter.reset();
        expect((await consume()).status).toBe(200);
        expect(counter.sent).toEqual(['UpdateItem']);
      }
      api.deps.subcounters.delete(project, instanceId, appKey);
      counter.reset();
      expect((await consume()).status).toBe(200);
      expect(counter.sent).toEqual(['UpdateItem']);
    } finally {
      api.db.client.middlewareStack.remove('requestCounter');
    }
  });

  it('unbind removes every sub-counter but the main one, and a quota update keeps the split', async () => {
    const { call, consume, quotaId, appId, appKey, bind } = await hotApp(8, 4);
    for (let n = 0; n < 4; n += 1) expect((await consume()).status).toBe(200);
    const body = { name: 'spread', call_limits: 12, time_unit: 'HOUR', time_interval: 1 };
    expect((await call('PUT', `/app-quotas/${quotaId}`, body)).status).toBe(200);
    expect((await countersOf(appKey)).map((c) => c.limit_units).reduce((a, b) => a + b)).toBe(12);
    expect((await call('PUT', `/app-quotas/${quotaId}`, { ...body, subcounters: 2 })).body.error_msg).toContain(
      'parameterName:subcounters.',
    );
    expect((await call('DELETE', `/app-quotas/${quotaId}/bound-apps/${appId}`)).status).toBe(204);
    const left = await countersOf(appKey);
    expect(left).toHaveLength(1);
    expect(left[0]).not.toHaveProperty('quota_id');
    expect((await consume()).body.app_quota_id).toBeNull();
    await bind(quotaId, [appId]);
    expect(await countersOf(appKey)).toHaveLength(4);
  });
});

describe('a cost above the largest share ceil(L/N) while no window is open (no reset_time)', () => {
  // A clock that stands still, so the window the refusal shows is exactly one hour from now; each
  // warm round robin starts on the last sub-counter, then goes to the main one.
  let still: TestApi;
  beforeAll(async () => {
    still = await createTestApi({ clock: manualClock(), random: () => 0.99 });
  });

  it.each([2, 4, 16])(
    'over %i sub-counters: 429 APIG.0308 every time, in at most 5 requests, with the window it would have opened',
    async (subcounters) => {
      const limit = 18;
      const share = Math.ceil(limit / subcounters);
      const { consume, usage, quotaId, project, instanceId, appKey } = await hotApp(limit, subcounters, {}, still);
      const counter = countRequests(still.db.client);
      try {
        // Cold (the main counter first), then warm: on the last sub-counter, then on the main one.
        for (const warm of [false, true, true]) {
          if (!warm) still.deps.subcounters.delete(project, instanceId, appKey);
          counter.reset();
          const refused = await consume(share + 1);
          expect(refused.status).toBe(429);
          expect(refused.body.error_code).toBe('APIG.0308');
          expect(refused.headers['retry-after']).toBe('3600');
          expect(refused.headers['ratelimit-policy']).toBe(`"${quotaId}";q=${limit};w=3600`);
          expect(refused.headers.ratelimit).toBe(`"${quotaId}";r=0;t=3600`);
          // The sub-counter asked and a read of the main counter, the main counter's update and
          // its refused opening, the quota's state (once per second per container).
          expect(counter.sent.length).toBeLessThanOrEqual(5);
        }
      } finally {
        still.db.client.middlewareStack.remove('requestCounter');
      }
      expect(await usage()).toMatchObject({ used: 0 });
      // A cost exactly at the largest share still opens the window on the main counter, and a cost of 1 fits after it.
      still.deps.subcounters.delete(project, instanceId, appKey);
      expect((await consume(share)).status).toBe(200);
      expect((await consume(1)).status).toBe(200);
      expect(await usage()).toMatchObject({ used: share + 1 });
    },
  );
});
