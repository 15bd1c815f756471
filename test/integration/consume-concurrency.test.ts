import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

const meteredApp = async (callLimits: number) => {
  const instance = await newInstance(api);
  const created = await instance.call('POST', '/apps', { name: 'busy' });
  const quotaId = await instance.createQuota('tight', { call_limits: callLimits, time_unit: 'HOUR', time_interval: 1 });
  await instance.bind(quotaId, [created.body.id]);
  const consume = (cost: number) =>
    instance.call('POST', '/quota-consumptions', { app_key: created.body.app_key, cost });
  return { ...instance, consume, appId: created.body.id as string };
};

/** The RateLimit field's `r` (units left) of a response. */
const remainingOf = (headers: Record<string, string>) => Number(/;r=(-?\d+)/.exec(headers.ratelimit ?? '')?.[1]);

describe('consume under concurrency', () => {
  it('admits exactly 50 of 200 parallel calls against a limit of 50', async () => {
    const { consume, call, appId } = await meteredApp(50);
    const responses = await Promise.all(Array.from({ length: 200 }, () => consume(1)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(150);
    expect((await call('GET', `/apps/${appId}/quota-usage`)).body).toMatchObject({ used: 50, remaining: 0 });
  });

  it('with mixed costs never admits more than the limit, refuses only calls costing more than was left, and the rest fits exactly', async () => {
    const limit = 300;
    const { consume, call, appId } = await meteredApp(limit);
    const costs = Array.from({ length: 200 }, (_, n) => [1, 2, 3, 5, 8][n % 5] as number);
    const responses = await Promise.all(costs.map((cost) => consume(cost)));
    let admitted = 0;
    for (const [n, response] of responses.entries()) {
      const cost = costs[n] as number;
      if (response.status === 200) admitted += cost;
      else {
        expect(response.status).toBe(429);
        // Refused only when fewer units than its cost were left at that moment.
        expect(remainingOf(response.headers)).toBeLessThan(cost);
      }
    }
    expect(admitted).toBeGreaterThan(0);
    expect(admitted).toBeLessThanOrEqual(limit);
    const usage = (await call('GET', `/apps/${appId}/quota-usage`)).body;
    expect(usage.used).toBe(admitted);
    if (usage.remaining > 0) expect((await consume(usage.remaining)).status).toBe(200);
    expect((await call('GET', `/apps/${appId}/quota-usage`)).body).toMatchObject({ used: limit, remaining: 0 });
    expect((await consume(1)).status).toBe(429);
  });
});
