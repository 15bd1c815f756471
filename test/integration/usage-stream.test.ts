import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THRESHOLD_EVENT_DETAIL_TYPE, THRESHOLD_EVENT_SOURCE } from '#domain/threshold-event.ts';
import { LeaseBook } from '#guard/leases.ts';
import type { UsageHistoryItem } from '#store/items/usage-history-item.ts';
import { HISTORY_PREFIX, usageHistoryPartition } from '#store/table/keys.ts';
import { QuotaStateCache } from '#use-cases/consume/quota-state-cache.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { type ManualClock, manualClock } from '../support/clocks.ts';
import { type CounterStream, openCounterStream } from '../support/counter-stream.ts';
import { newInstance } from '../support/fixtures.ts';

let api: TestApi;
let clock: ManualClock;
let stream: CounterStream;
beforeAll(async () => {
  clock = manualClock('2026-11-23T07:00:00.000Z');
  api = await createTestApi({ clock, stream: true });
  stream = await openCounterStream(api.db, { clock });
});
afterAll(() => stream.close());

/** An app bound to a fresh quota with these settings, on the shared table and clock. */
const boundApp = async (quota: Record<string, unknown>) => {
  const instance = await newInstance(api);
  const created = await instance.call('POST', '/apps', { name: 'watched' });
  const quotaId = await instance.createQuota('watched', { time_interval: 1, time_unit: 'HOUR', ...quota });
  expect((await instance.bind(quotaId, [created.body.id])).status).toBe(201);
  const appId: string = created.body.id;
  const appKey: string = created.body.app_key;
  const consume = async (cost = 1): Promise<boolean> => {
    const response = await instance.call('POST', '/quota-consumptions', { app_key: appKey, cost });
    expect([200, 429]).toContain(response.status);
    return response.status === 200;
  };
  const history = async (): Promise<UsageHistoryItem[]> => {
    const { Items } = await api.db.client.send(
      new QueryCommand({
        TableName: api.db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :window)',
        ExpressionAttributeValues: {
          ':pk': usageHistoryPartition(instance.project, instance.instanceId, appId),
          ':window': HISTORY_PREFIX.window,
        },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []) as UsageHistoryItem[];
  };
  const events = () => stream.sent.filter((event) => event.detail.app_id === appId);
  return { ...instance, quotaId, appId, appKey, consume, history, events };
};

/** Consumes until refused (at most `max` calls), delivering the stream after each call; the units admitted. */
const consumeToTheLimit = async (consume: () => Promise<boolean>, max: number): Promise<number> => {
  let admitted = 0;
  for (let call = 0; call < max; call += 1) {
    const ok = await consume();
    await stream.deliver();
    if (!ok) break;
    admitted += 1;
  }
  return admitted;
};

describe('threshold events (the stream of DynamoDB Local, delivered as the event source mapping does)', () => {
  it('one counter: one event at 80% and one at 100% of the window, none before, none after', async () => {
    const app = await boundApp({ call_limits: 10 });
    const windowStart = clock.ms;
    for (let call = 0; call < 7; call += 1) expect(await app.consume()).toBe(true);
    await stream.deliver();
    expect(app.events()).toEqual([]);
    expect(await app.consume()).toBe(true);
    await stream.deliver();
    expect(app.events().map((event) => event.detail.threshold)).toEqual([80]);
    expect(await consumeToTheLimit(app.consume, 5)).toBe(2);
    const events = app.events();
    expect(events.map((event) => event.detail.threshold)).toEqual([80, 100]);
    expect(events[0]).toEqual({
      source: THRESHOLD_EVENT_SOURCE,
      'detail-type': THRESHOLD_EVENT_DETAIL_TYPE,
      time: expect.any(String),
      detail: {
        event_id: `${app.project}/${app.instanceId}/${app.appId}/${windowStart}/80`,
        project_id: app.project,
        instance_id: app.instanceId,
        app_id: app.appId,
        app_quota_id: app.quotaId,
        threshold: 80,
        used: 8,
        limit: 10,
        window_start: new Date(windowStart).toISOString(),
        window_end: new Date(windowStart + 3_600_000).toISOString(),
      },
    });
    expect(events[1]?.detail).toMatchObject({ threshold: 100, used: 10, limit: 10 });
    expect(JSON.stringify(events)).not.toContain(app.appKey);
  });

  it('4 sub-counters: one event per threshold for the credential, its use summed over them', async () => {
    const app = await boundApp({ call_limits: 20, subcounters: 4 });
    expect(await consumeToTheLimit(app.consume, 30)).toBe(20);
    const events = app.events();
    expect(events.map((event) => event.detail.threshold)).toEqual([80, 100]);
    expect(events[0]?.detail.used).toBeGreaterThanOrEqual(16);
    expect(events[1]?.detail).toMatchObject({ used: 20, limit: 20 });
  });

  it('4 sub-counters, the whole window in one batch: the same two events', async () => {
    const app = await boundApp({ call_limits: 20, subcounters: 4 });
    let admitted = 0;
    for (let call = 0; call < 25; call += 1) if (await app.consume()) admitted += 1;
    expect(admitted).toBe(20);
    await stream.deliver();
    expect(app.events().map((event) => [event.detail.threshold, event.detail.used])).toEqual([
      [80, 20],
      [100, 20],
    ]);
  });

  it('leases (the guard): one event per threshold, on the units taken', async () => {
    const app = await boundApp({ call_limits: 50 });
    const book = new LeaseBook(10);
    const deps = { ...api.deps, subcounters: new SubcounterCache(), quotaStates: new QuotaStateCache() };
    const input = { projectId: app.project, instanceId: app.instanceId, appKey: app.appKey, cost: 1 };
    let admitted = 0;
    for (let call = 0; call < 80; call += 1) {
      const outcome = await book.consume(deps, input);
      await stream.deliver();
      if (!outcome.admitted) break;
      admitted += 1;
    }
    expect(admitted).toBe(50);
    const events = app.events();
    expect(events.map((event) => event.detail.threshold)).toEqual([80, 100]);
    expect(events[0]?.detail.used).toBeGreaterThanOrEqual(40);
    expect(events[1]?.detail.used).toBe(50);
  });

  it('a batch delivered twice sends nothing new and writes no second history item', async () => {
    const app = await boundApp({ call_limits: 10, subcounters: 2, time_unit: 'MINUTE' });
    const delivered = [];
    for (let call = 0; call < 9; call += 1) await app.consume();
    delivered.push(...(await stream.deliver()));
    clock.advance(60_000);
    await app.consume();
    delivered.push(...(await stream.deliver()));
    expect(app.events().map((event) => event.detail.threshold)).toEqual([80]);
    const history = await app.history();
    expect(history.map((item) => item.used)).toEqual([9]);
    await stream.redeliver(delivered);
    await stream.redeliver(delivered);
    expect(app.events().map((event) => event.detail.threshold)).toEqual([80]);
    expect(await app.history()).toEqual(history);
  });
});

describe("a quota's own thresholds (alert_thresholds)", () => {
  it('[50]: exactly one event, at 50%, and none at 80% or 100% (one counter, 4 sub-counters)', async () => {
    for (const subcounters of [1, 4]) {
      const app = await boundApp({ call_limits: 20, subcounters, alert_thresholds: [50] });
      for (let call = 0; call < 9; call += 1) expect(await app.consume()).toBe(true);
      await stream.deliver();
      expect(app.events()).toEqual([]);
      expect(await consumeToTheLimit(app.consume, 20)).toBe(11);
      const events = app.events().map((event) => [event.detail.threshold, event.detail.used, event.detail.limit]);
      expect(events, `${subcounters} sub-counters`).toEqual([[50, 10, 20]]);
    }
  });

  it("an update of them applies to the later crossings; events sent stay sent; null brings back the stage's", async () => {
    const app = await boundApp({ call_limits: 10, alert_thresholds: [50] });
    const put = async (alertThresholds: readonly number[] | null) => {
      const body = { name: 'watched', call_limits: 10, time_unit: 'HOUR', time_interval: 1 };
      const response = await app.call('PUT', `/app-quotas/${app.quotaId}`, {
        ...body,
        alert_thresholds: alertThresholds,
      });
      expect(response.status).toBe(200);
      await stream.deliver();
    };
    const crossings = () => app.events().map((event) => [event.detail.threshold, event.detail.used]);
    expect(await consumeToTheLimit(app.consume, 5)).toBe(5);
    expect(crossings()).toEqual([[50, 5]]);
    await put([50, 60, 90]);
    expect(crossings()).toEqual([[50, 5]]);
    expect(await consumeToTheLimit(app.consume, 4)).toBe(4);
    expect(crossings()).toEqual([
      [50, 5],
      [60, 6],
      [90, 9],
    ]);
    // Back to the stage's 80% and 100%: 80% was passed under other thresholds, and is told with
    // the next counted call, as 100% is.
    await put(null);
    expect(crossings()).toHaveLength(3);
    expect(await consumeToTheLimit(app.consume, 3)).toBe(1);
    expect(crossings()).toEqual([
      [50, 5],
      [60, 6],
      [90, 9],
      [80, 10],
      [100, 10],
    ]);
    // The window was never closed by the updates: thresholds are not a setting of the counters.
    expect(await app.history()).toEqual([]);
  });
});

describe('usage history (written when a window closes)', () => {
  it('one item per closed window, its used the units admitted in it', async () => {
    for (const subcounters of [1, 4]) {
      const app = await boundApp({ call_limits: 40, subcounters, time_unit: 'MINUTE' });
      const admittedPerWindow: number[] = [];
      for (const calls of [7, 0, 40, 13]) {
        let admitted = 0;
        for (let call = 0; call < calls + 3 && admitted < calls; call += 1) if (await app.consume()) admitted += 1;
        await stream.deliver();
        admittedPerWindow.push(admitted);
        clock.advance(61_000);
      }
      // The last window closes when a call opens the next one.
      expect(await app.consume()).toBe(true);
      await stream.deliver();
      const history = (await app.history()).sort((a, b) => a.window_start_ms - b.window_start_ms);
      expect(
        history.map((item) => item.used),
        `${subcounters} sub-counters`,
      ).toEqual(admittedPerWindow.filter((admitted) => admitted > 0));
      for (const item of history) {
        expect(item).toMatchObject({ app_quota_id: app.quotaId, limit: 40, type: 'usage-history' });
        expect(item.window_end_ms - item.window_start_ms).toBe(60_000);
        expect([...item.counted].length).toBeLessThanOrEqual(subcounters);
      }
    }
  });

  it('a quota change that starts a fresh window closes the window it ends: a new item follows', async () => {
    const app = await boundApp({ call_limits: 30, subcounters: 2 });
    for (let call = 0; call < 5; call += 1) expect(await app.consume()).toBe(true);
    await stream.deliver();
    expect(await app.history()).toEqual([]);
    const changed = await app.call('PUT', `/app-quotas/${app.quotaId}`, {
      name: 'watched',
      call_limits: 30,
      time_unit: 'MINUTE',
      time_interval: 1,
    });
    expect(changed.status).toBe(200);
    await stream.deliver();
    expect((await app.history()).map((item) => item.used)).toEqual([5]);
    clock.advance(1_000);
    for (let call = 0; call < 3; call += 1) expect(await app.consume()).toBe(true);
    clock.advance(61_000);
    expect(await app.consume()).toBe(true);
    await stream.deliver();
    const history = (await app.history()).sort((a, b) => a.window_start_ms - b.window_start_ms);
    expect(history.map((item) => [item.used, item.window_end_ms - item.window_start_ms])).toEqual([
      [5, 3_600_000],
      [3, 60_000],
    ]);
  });
});
