import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { beforeAll, describe, expect, it } from 'vitest';
import { SDK_SETTINGS } from '#store/table/client.ts';
import { runVirtualLoad } from '../../scripts/bench/partition-load.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { manualClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { itemSize } from '../support/partition-model.ts';

/** One partition key's budget, scaled down from DynamoDB's 1,000 WCU/s as the bench does. */
const BUDGET = 100;
/** Offered load: one call per millisecond of the model's clock, 2 seconds of it. */
const CALLS = 2000;
const T0 = Date.parse('2026-11-23T07:00:00.000Z');

let api: TestApi;
// The service's clock stands still (one open window per credential); the model's moves one
// millisecond per call, so the load is the same on any machine, however loaded.
const serviceClock = manualClock(T0);
beforeAll(async () => {
  api = await createTestApi({
    clock: serviceClock,
    limits: { appsPerInstance: 100 },
    // An attempt retried at once: on a virtual clock, waiting real time would change nothing.
    retryStrategy: new ConfiguredRetryStrategy(SDK_SETTINGS.maxAttempts, 0),
    random: () => 0,
  });
});

/** `count` apps of one new instance bound to one quota (limit far above the load). */
const boundApps = async (count: number, subcounters = 1) => {
  const instance = await newInstance(api);
  const apps = [];
  for (let n = 0; n < count; n += 1) apps.push((await instance.call('POST', '/apps', { name: `app${n}` })).body);
  const quotaId = await instance.createQuota('gateway', {
    call_limits: 1_000_000,
    time_unit: 'DAY',
    time_interval: 1,
    subcounters,
  });
  expect(
    (
      await instance.bind(
        quotaId,
        apps.map((app) => app.id),
      )
    ).status,
  ).toBe(201);
  // Windows open before the model is installed: it measures the steady state, not the first calls.
  for (const app of apps) {
    for (let n = 0; n < 2 * subcounters; n += 1) {
      expect((await instance.call('POST', '/quota-consumptions', { app_key: app.app_key })).status).toBe(200);
    }
  }
  return { ...instance, quotaId, apps: apps as Array<{ id: string; app_key: string }> };
};

/** Drives CALLS consumes through the model, one at a time, one model millisecond each. */
const drive = (instance: Awaited<ReturnType<typeof boundApps>>, partitionOf?: (pk: string) => string) =>
  runVirtualLoad({
    client: api.db.client,
    budgetWcu: BUDGET,
    consume: async (appKey) => (await instance.call('POST', '/quota-consumptions', { app_key: appKey })).status,
    appKeys: instance.apps.map((app) => app.app_key),
    calls: CALLS,
    startMs: T0,
    ...(partitionOf ? { partitionOf } : {}),
  });

describe('partition model', () => {
  it('sizes items as DynamoDB does: a counter is far under 1 KB, an app with a long name and remark over it', () => {
    const counter = {
      pk: { S: `PROJECT#p123456789012#INSTANCE#${'a'.repeat(32)}#APPKEY#${'K'.repeat(64)}#0` },
      sk: { S: 'COUNTER' },
      type: { S: 'counter' },
      app_id: { S: 'b'.repeat(32) },
      remaining: { N: '2147483647' },
      last_consume: { S: '3b241101-e2bb-4255-8caf-4136c566a962' },
    };
    expect(itemSize(counter)).toBeLessThan(400);
    expect(itemSize({ name: { S: 'x'.repeat(64) }, remark: { S: 'y'.repeat(1000) }, pk: { S: 'p' } })).toBeGreaterThan(
      1024,
    );
  });

  it('50 apps of one instance: every call admitted, at least 5x one partition budget (no partition shared)', async () => {
    const instance = await boundApps(50);
    const result = await drive(instance);
    console.log(`partition model, 50 apps: ${JSON.stringify(result)}`);
    expect(result).toMatchObject({ calls: CALLS, admitted: CALLS, refused: 0, failed: 0, throttled: 0 });
    expect(result.ratio).toBeGreaterThanOrEqual(5);
    expect(result.peak_wcu_per_s).toBeLessThanOrEqual(BUDGET);
  });

  it("the same 50 apps with every counter charged to the instance's partition (the old layout) stop at 1x", async () => {
    const instance = await boundApps(50);
    const result = await drive(instance, (pk) => pk.replace(/#APPKEY#.*$/, ''));
    console.log(`partition model, 50 apps on one partition: ${JSON.stringify(result)}`);
    expect(result.ratio).toBeLessThanOrEqual(1);
    expect(result.ratio).toBeGreaterThanOrEqual(0.9);
    expect(result.failed).toBeGreaterThan(CALLS / 2);
  });

  it('one hot credential over 4 sub-counters: at least 3.6x one partition budget, never over its limit', async () => {
    const instance = await boundApps(1, 4);
    const result = await drive(instance);
    console.log(`partition model, hot credential x4: ${JSON.stringify(result)}`);
    expect(result.ratio).toBeGreaterThanOrEqual(3.6);
    expect(result.ratio).toBeLessThanOrEqual(4);
    expect(result.peak_wcu_per_s).toBeLessThanOrEqual(BUDGET);
    const [app] = instance.apps;
    const usage = (await instance.call('GET', `/apps/${app?.id}/quota-usage`)).body;
    // Every admitted call counted once (the 8 warm-up calls too), and never past the limit.
    expect(usage.used).toBe(result.admitted + 8);
    expect(usage.used).toBeLessThanOrEqual(usage.limit);
  });

  it('one hot credential on one counter stops at 1x', async () => {
    const instance = await boundApps(1, 1);
    const result = await drive(instance);
    console.log(`partition model, hot credential x1: ${JSON.stringify(result)}`);
    expect(result.ratio).toBeLessThanOrEqual(1);
    expect(result.ratio).toBeGreaterThanOrEqual(0.9);
    expect(result.failed).toBeGreaterThan(CALLS / 2);
  });

  it("a tenant flooding its credential at 10x a partition's budget leaves another tenant's calls untouched: all admitted", async () => {
    const noisy = await boundApps(1, 1);
    const quiet = await boundApps(1, 1);
    const noisyKey = noisy.apps[0]?.app_key as string;
    const quietKey = quiet.apps[0]?.app_key as string;
    const statuses = { noisy: [] as number[], quiet: [] as number[] };
    const result = await runVirtualLoad({
      client: api.db.client,
      budgetWcu: BUDGET,
      consume: async (appKey) => {
        const tenant = appKey === quietKey ? quiet : noisy;
        const { status } = await tenant.call('POST', '/quota-consumptions', { app_key: appKey });
        statuses[appKey === quietKey ? 'quiet' : 'noisy'].push(status);
        return status;
      },
      // 19 of every 20 calls are the noisy tenant's (950/s offered), one the quiet one's (50/s).
      appKeys: [...Array.from({ length: 19 }, () => noisyKey), quietKey],
      calls: CALLS,
      startMs: T0,
    });
    console.log(`partition model, noisy and quiet tenants: ${JSON.stringify(result)}`);
    expect(statuses.quiet).toHaveLength(CALLS / 20);
    expect(statuses.quiet.every((status) => status === 200)).toBe(true);
    // The noisy tenant got at most its own key's budget; the rest of its flood failed on its own key.
    const noisyAdmitted = statuses.noisy.filter((status) => status === 200).length;
    expect(noisyAdmitted).toBeLessThanOrEqual((BUDGET * CALLS) / 1000);
    expect(statuses.noisy.length - noisyAdmitted).toBeGreaterThan(CALLS / 2);
  });
});
