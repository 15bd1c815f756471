import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REFUSAL_RECHECK_MS as D } from '#domain/refusals.ts';
import { quotaGuard } from '#guard/quota-guard.ts';
import { lambdaContext, toApiGatewayEvent } from '#local/api-gateway-event.ts';
import { consume as consumeInContainer } from '#use-cases/consume/consume.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { type ManualClock, manualClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { countRequests } from '../support/request-counter.ts';

// A clock that stands still unless a test moves it: D passes only when a test says so.
let clock: ManualClock;
let api: TestApi;
let requests: ReturnType<typeof countRequests>;
beforeAll(async () => {
  clock = manualClock();
  api = await createTestApi({ clock });
  requests = countRequests(api.db.client);
});

/** An app bound to a quota of `callLimits` per hour over `subcounters` sub-counters. */
const boundApp = async (callLimits: number, subcounters = 1) => {
  const instance = await newInstance(api);
  const app = (await instance.call('POST', '/apps', { name: 'flooder' })).body;
  const quotaId = await instance.createQuota('flooded', {
    call_limits: callLimits,
    time_unit: 'HOUR',
    time_interval: 1,
    subcounters,
  });
  expect((await instance.bind(quotaId, [app.id])).status).toBe(201);
  const consume = (cost = 1) => instance.call('POST', '/quota-consumptions', { app_key: app.app_key, cost });
  const usage = async () => (await instance.call('GET', `/apps/${app.id}/quota-usage`)).body;
  return { ...instance, app, quotaId, consume, usage };
};

describe('the route: a flood on an exhausted credential', () => {
  it.each([1, 4])(
    'costs no DynamoDB request per refusal once the container saw the window exhausted (%i sub-counters)',
    async (subcounters) => {
      const limit = 2 * subcounters;
      const { consume, usage, quotaId } = await boundApp(limit, subcounters);
      let admitted = 0;
      while ((await consume()).status === 200) admitted += 1;
      expect(admitted).toBe(limit);
      requests.reset();
      const refusals = await Promise.all(Array.from({ length: 20 }, () => consume()));
      expect(requests.sent).toEqual([]);
      for (const refused of refusals) {
        expect(refused.status).toBe(429);
        expect(refused.body.error_code).toBe('APIG.0308');
        expect(refused.headers['retry-after']).toBe('3600');
        expect(refused.headers.ratelimit).toBe(`"${quotaId}";r=0;t=3600`);
        expect(refused.headers['ratelimit-policy']).toBe(`"${quotaId}";q=${limit};w=3600`);
      }
      // D later: one real attempt (one update; the quota's state read again after a second), then memory again.
      clock.advance(D);
      requests.reset();
      expect((await consume()).status).toBe(429);
      expect(requests.sent.filter((sent) => sent === 'UpdateItem')).toHaveLength(1);
      requests.reset();
      expect((await consume(5)).status).toBe(429);
      expect(requests.sent).toEqual([]);
      expect(await usage()).toMatchObject({ used: limit, remaining: 0 });
    },
  );

  it('admits again within D of a raised limit, and not before', async () => {
    const { consume, call, quotaId } = await boundApp(2);
    await consume(2);
    expect((await consume()).status).toBe(429);
    const updated = await call('PUT', `/app-quotas/${quotaId}`, {
      name: 'flooded',
      call_limits: 5,
      time_unit: 'HOUR',
      time_interval: 1,
    });
    expect(updated.status).toBe(200);
    clock.advance(D - 1);
    expect((await consume()).status).toBe(429);
    clock.advance(1);
    expect((await consume()).body).toMatchObject({ limit: 5, remaining: 2 });
  });

  it('a second container, which has seen nothing, asks DynamoDB', async () => {
    const { consume, app, project, instanceId } = await boundApp(1);
    await consume();
    expect((await consume()).status).toBe(429);
    const other = { ...api.deps, subcounters: new SubcounterCache() };
    requests.reset();
    const outcome = await consumeInContainer(other, { projectId: project, instanceId, appKey: app.app_key, cost: 1 });
    expect(outcome.admitted).toBe(false);
    expect(requests.sent).toContain('UpdateItem');
  });
});

describe('the guard, with and without leases, behaves the same', () => {
  it.each([
    ['without leases', undefined],
    ['with leases of 10', { units: 10 }],
  ])('%s: admits exactly the limit, then refuses with no DynamoDB request', async (_, leases) => {
    const { app, project, instanceId, usage, quotaId } = await boundApp(25);
    const business = async () => ({ statusCode: 200, body: 'ok' });
    const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
      .use(
        quotaGuard({
          // A container of its own.
          deps: { ...api.deps, subcounters: new SubcounterCache() },
          projectId: project,
          instanceId,
          appKeyFrom: () => app.app_key,
          leases,
        }),
      )
      .handler(business);
    const request = () => handler(toApiGatewayEvent({ method: 'GET', url: '/work' }).event, lambdaContext('guarded'));
    const statuses: number[] = [];
    for (let n = 0; n < 30; n += 1) statuses.push((await request()).statusCode as number);
    expect(statuses).toEqual([...Array(25).fill(200), ...Array(5).fill(429)]);
    expect(await usage()).toMatchObject({ used: 25, remaining: 0 });
    requests.reset();
    for (let n = 0; n < 10; n += 1) {
      const refused = await request();
      expect(refused.statusCode).toBe(429);
      expect(refused.headers).toMatchObject({ 'Retry-After': '3600', RateLimit: `"${quotaId}";r=0;t=3600` });
    }
    expect(requests.sent).toEqual([]);
  });
});
