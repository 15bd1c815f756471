import { describe, expect, it } from 'vitest';
import type { ThresholdEvent } from '#domain/threshold-event.ts';
import {
  areAlertThresholds,
  type CounterUse,
  checkThresholds,
  closedWindow,
  credentialUse,
  mayReachThresholds,
  reachedThresholds,
  retentionDaysFromText,
  sameThresholds,
  thresholdsFromText,
  windowOver,
} from '#domain/usage-window.ts';
import type { CounterItem } from '#store/items/counter-item.ts';
import { counterUseOf } from '#store/items/counter-use.ts';
import { counterAddressOf, counterKey } from '#store/table/keys.ts';
import { COUNTER_RECORDS_PATTERN, matchesPattern } from '#store/table/stream-filter.ts';
import { type CounterChange, recordCounterChanges, type UsageStreamDeps } from '#use-cases/record-counter-changes.ts';
import { manualClock } from '../support/clocks.ts';
import { fakeUsageStreamStore } from '../support/fake-usage-stream-store.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-23T07:00:00.000Z');

const use = (extra: Partial<CounterUse> = {}): CounterUse => ({
  quotaId: 'q1',
  subcounter: 0,
  subcounters: 1,
  limit: 10,
  used: 3,
  window: { start: T0, end: T0 + HOUR },
  ...extra,
});

describe('closed windows (pure)', () => {
  it('a window closes when the counter moves to another window, to none, or goes', () => {
    const before = use();
    expect(closedWindow(before, use({ window: { start: T0 + HOUR, end: T0 + 2 * HOUR }, used: 1 }))).toBe(before);
    expect(closedWindow(before, undefined)).toBe(before);
    expect(closedWindow(before, use({ quotaId: 'q2' }))).toBe(before);
  });

  it('nothing closes while the counter stays in its window (a consume, a new limit alone) or was in none', () => {
    expect(closedWindow(use(), use({ used: 4 }))).toBeUndefined();
    expect(closedWindow(use(), use({ used: 3, limit: 20 }))).toBeUndefined();
    expect(closedWindow(undefined, use())).toBeUndefined();
  });

  it("counter items: start is the end less the window's length, use the share less what is left", () => {
    const item: CounterItem = {
      ...counterKey('p', 'i', 'KEY', 2),
      type: 'counter',
      app_id: 'a',
      subcounter: 2,
      subcounters: 4,
      quota_id: 'q1',
      call_limits: 20,
      limit_units: 5,
      window_ms: HOUR,
      window_end_ms: T0 + HOUR,
      remaining: 1,
      config_version: 1,
    };
    expect(counterUseOf(item)).toEqual(use({ subcounter: 2, subcounters: 4, limit: 20, used: 4 }));
    const { window_end_ms: _end, remaining: _left, ...fresh } = item;
    expect(counterUseOf(fresh)).toBeUndefined();
    expect(
      counterUseOf({ ...counterKey('p', 'i', 'KEY'), type: 'counter', app_id: 'a', subcounter: 0 }),
    ).toBeUndefined();
  });

  it("a credential's use: each sub-counter's largest sighting in the window, summed; other windows count nothing", () => {
    const window = use();
    const seen = [
      use({ subcounter: 0, used: 2 }),
      use({ subcounter: 0, used: 4 }),
      use({ subcounter: 1, used: 5 }),
      use({ subcounter: 2, used: 9, window: { start: T0 + HOUR, end: T0 + 2 * HOUR } }),
      undefined,
    ];
    expect(credentialUse(window, seen)).toBe(9);
    expect(windowOver(window, T0 + HOUR - 1)).toBe(false);
    expect(windowOver(window, T0 + HOUR)).toBe(true);
  });
});

describe('thresholds (pure)', () => {
  it('are reached in integer percent of the limit, never at zero use', () => {
    expect(reachedThresholds(4, 5, [80, 100])).toEqual([80]);
    expect(reachedThresholds(3, 4, [80, 100])).toEqual([]);
    expect(reachedThresholds(10, 10, [80, 100])).toEqual([80, 100]);
    expect(reachedThresholds(12, 10, [80, 100])).toEqual([80, 100]);
    expect(reachedThresholds(0, 0, [80, 100])).toEqual([]);
  });

  it('settings: thresholds 1-100 distinct, sorted; retention 1-3650 days; defaults when unset', () => {
    expect(thresholdsFromText(undefined)).toEqual([80, 100]);
    expect(thresholdsFromText(' 90, 50 ')).toEqual([50, 90]);
    for (const bad of ['0', '101', '50,50', 'x', '1.5', ','])
      expect(() => thresholdsFromText(bad), bad).toThrow(RangeError);
    expect(retentionDaysFromText(undefined)).toBe(90);
    expect(retentionDaysFromText('7')).toBe(7);
    for (const bad of ['0', '3651', '-1', 'week']) expect(() => retentionDaysFromText(bad), bad).toThrow(RangeError);
  });

  it("one rule for the stage's setting and a quota's own: 1-10 distinct integers from 1 to 100", () => {
    for (const good of [[1], [100], [50], [90, 10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
      expect(areAlertThresholds(good), JSON.stringify(good)).toBe(true);
    for (const bad of [[], [0], [101], [50, 50], [1.5], [Number.NaN], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]) {
      expect(areAlertThresholds(bad), JSON.stringify(bad)).toBe(false);
      expect(() => checkThresholds(bad), JSON.stringify(bad)).toThrow(RangeError);
    }
    expect(checkThresholds([90, 10])).toEqual([10, 90]);
  });

  it('any threshold may be reached from 1% of the limit on; thresholds compare in order', () => {
    expect(mayReachThresholds(0, 10)).toBe(false);
    expect(mayReachThresholds(1, 101)).toBe(false);
    expect(mayReachThresholds(1, 100)).toBe(true);
    expect(sameThresholds(undefined, undefined)).toBe(true);
    expect(sameThresholds([50], [50])).toBe(true);
    expect(sameThresholds([50], undefined)).toBe(false);
    expect(sameThresholds([50, 80], [50])).toBe(false);
  });
});

describe('stream records (pure)', () => {
  it('counter keys parse back to their credential and sub-counter; nothing else parses', () => {
    const { pk } = counterKey('proj_1', 'c900c5612dbe451bb43cbcc49cfaf2f3', 'Key-9_x', 3);
    expect(counterAddressOf(pk)).toEqual({
      projectId: 'proj_1',
      instanceId: 'c900c5612dbe451bb43cbcc49cfaf2f3',
      appKey: 'Key-9_x',
      index: 3,
    });
    expect(counterAddressOf('PROJECT#p#INSTANCE#i')).toBeUndefined();
  });

  it("the mapping's filter keeps counter records of any kind and drops the rest", () => {
    const record = (sk: string) => ({ eventName: 'MODIFY', dynamodb: { Keys: { pk: { S: 'x' }, sk: { S: sk } } } });
    expect(matchesPattern(COUNTER_RECORDS_PATTERN, record('COUNTER'))).toBe(true);
    expect(matchesPattern(COUNTER_RECORDS_PATTERN, record('APP#1'))).toBe(false);
    expect(matchesPattern(COUNTER_RECORDS_PATTERN, { dynamodb: {} })).toBe(false);
  });
});

describe('recordCounterChanges (fake store and sink)', () => {
  const counter = (index: number, remaining: number, extra: Partial<CounterItem> = {}): CounterItem => ({
    ...counterKey('p', 'i', 'KEY', index),
    type: 'counter',
    app_id: 'app1',
    subcounter: index,
    subcounters: 1,
    quota_id: 'q1',
    call_limits: 10,
    limit_units: 10,
    window_ms: HOUR,
    window_end_ms: T0 + HOUR,
    remaining,
    config_version: 1,
    ...extra,
  });
  const change = (
    sequence: string,
    before: CounterItem | undefined,
    after: CounterItem | undefined,
  ): CounterChange => ({
    sequence,
    address: { projectId: 'p', instanceId: 'i', appKey: 'KEY', index: (after ?? before)?.subcounter ?? 0 },
    before,
    after,
  });
  const world = (failSends = 0) => {
    const fake = fakeUsageStreamStore();
    const sent: ThresholdEvent[] = [];
    let failures = failSends;
    const clock = manualClock(T0 + 10_000);
    const deps: UsageStreamDeps = {
      store: fake.store,
      clock,
      settings: { thresholds: [80, 100], retentionDays: 90 },
      alerts: {
        async send(events) {
          if (failures > 0) {
            failures -= 1;
            throw new Error('EventBridge unavailable');
          }
          sent.push(...events);
        },
      },
    };
    return { ...fake, sent, deps, clock };
  };

  it("a quota's own thresholds replace the stage's: read once per quota per batch, not below 1%", async () => {
    const { deps, sent, quotaThresholds, thresholdReads } = world();
    quotaThresholds.set('p/i/q1', [50]);
    // 0 of 200 and 1 of 200 used (under 1%): no read.
    const spare = { call_limits: 200, limit_units: 200 };
    await recordCounterChanges(deps, [change('1', counter(0, 200, spare), counter(0, 199, spare))]);
    expect(thresholdReads).toEqual([]);
    // Two credentials of the quota in one batch: one read; 50% reached, 80% and 100% not theirs.
    const other = (remaining: number): CounterItem => ({
      ...counter(0, remaining),
      ...counterKey('p', 'i', 'KEY2'),
      app_id: 'app2',
    });
    const second = (sequence: string, before: CounterItem, after: CounterItem): CounterChange => ({
      ...change(sequence, before, after),
      address: { projectId: 'p', instanceId: 'i', appKey: 'KEY2', index: 0 },
    });
    await recordCounterChanges(deps, [change('2', counter(0, 6), counter(0, 0)), second('3', other(6), other(5))]);
    expect(thresholdReads).toEqual(['p/i/q1']);
    expect(sent.map((event) => [event.detail.app_id, event.detail.threshold, event.detail.used])).toEqual([
      ['app1', 50, 10],
      ['app2', 50, 5],
    ]);
    // Another batch reads again: a change of the quota's thresholds applies from it on.
    quotaThresholds.delete('p/i/q1');
    await recordCounterChanges(deps, [second('4', other(5), other(2))]);
    expect(thresholdReads).toEqual(['p/i/q1', 'p/i/q1']);
    expect(sent.map((event) => [event.detail.app_id, event.detail.threshold])).toEqual([
      ['app1', 50],
      ['app2', 50],
      ['app2', 80],
    ]);
  });

  it('a crash between the claim and the send: the retry of the batch sends the event once, with the same detail', async () => {
    const { deps, sent, alerts } = world(1);
    const batch = [change('100', counter(0, 3), counter(0, 2))];
    const first = await recordCounterChanges(deps, batch);
    expect(first.failedSequence).toBe('100');
    expect([...alerts.values()].map((item) => item.state)).toEqual(['pending']);
    expect(sent).toEqual([]);
    expect((await recordCounterChanges(deps, batch)).failedSequence).toBeUndefined();
    expect(sent.map((event) => [event.detail.threshold, event.detail.used])).toEqual([[80, 8]]);
    await recordCounterChanges(deps, batch);
    expect(sent).toHaveLength(1);
    expect([...alerts.values()].map((item) => item.state)).toEqual(['sent']);
  });

  it('an event claimed by another record (another shard, at work) is not sent again by this one', async () => {
    const { deps, sent } = world(1);
    await recordCounterChanges(deps, [change('100', counter(0, 3), counter(0, 2))]);
    await recordCounterChanges(deps, [change('200', counter(0, 2), counter(0, 1))]);
    expect(sent.map((event) => event.detail.threshold)).toEqual([]);
    await recordCounterChanges(deps, [change('100', counter(0, 3), counter(0, 2))]);
    expect(sent.map((event) => event.detail.threshold)).toEqual([80]);
  });

  it("a window's close adds the use once, however often its record comes; zero use writes nothing", async () => {
    const { deps, history } = world();
    const next = counter(0, 9, { window_end_ms: T0 + 2 * HOUR });
    const batch = [change('1', counter(0, 6), next)];
    expect((await recordCounterChanges(deps, batch)).windowsClosed).toBe(1);
    await recordCounterChanges(deps, batch);
    expect([...history.values()].map((item) => [item.used, [...item.counted]])).toEqual([[4, [0]]]);
    await recordCounterChanges(deps, [change('2', counter(0, 10, { window_end_ms: T0 + 2 * HOUR }), undefined)]);
    expect(history.size).toBe(1);
  });

  it('the first close of a window that is over adds the sub-counters still in it; their own close adds nothing', async () => {
    const { deps, history, put, sent, clock } = world();
    clock.set(T0 + HOUR);
    const spread = (index: number, remaining: number, extra: Partial<CounterItem> = {}) =>
      counter(index, remaining, { subcounters: 4, call_limits: 8, limit_units: 2, ...extra });
    put(spread(1, 0));
    put(spread(2, 2));
    put(spread(3, 1));
    await recordCounterChanges(deps, [change('1', spread(0, 0), spread(0, 1, { window_end_ms: T0 + 2 * HOUR }))]);
    const [item] = [...history.values()];
    expect(item?.used).toBe(5);
    expect([...(item?.counted ?? [])].sort()).toEqual([0, 1, 3]);
    // The window's use reached 5/8 only: no event; a late sibling record adds nothing.
    expect(sent).toEqual([]);
    await recordCounterChanges(deps, [change('2', spread(1, 0), spread(1, 1, { window_end_ms: T0 + 2 * HOUR }))]);
    expect([...history.values()][0]?.used).toBe(5);
  });
});
