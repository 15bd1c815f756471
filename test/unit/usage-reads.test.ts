import { describe, expect, it } from 'vitest';
import { ApiError } from '#domain/errors.ts';
import type { App } from '#domain/models.ts';
import { parseInstant } from '#domain/time.ts';
import { parseWith } from '#http/validation.ts';
import { historyQuery } from '#schemas/list-query.ts';
import type { CounterItem } from '#store/items/counter-item.ts';
import { type AppUsage, byUse } from '#use-cases/list-quota-usage.ts';
import { usageOfCounters } from '#use-cases/show-usage.ts';

const NOW = Date.parse('2026-11-23T07:00:30.000Z');
const MINUTE = 60_000;

/** Sub-counter `index` of a credential bound to quota q (limit 10 over `of` sub-counters). */
const counter = (index: number, fields: Partial<CounterItem> = {}, of = 1): CounterItem => ({
  pk: `counter-${index}`,
  sk: 'COUNTER',
  type: 'counter',
  app_id: 'app',
  subcounter: index,
  subcounters: of,
  quota_id: 'q',
  call_limits: 10,
  limit_units: 10 / of,
  window_ms: MINUTE,
  config_version: 1,
  ...fields,
});

describe('usage from counters (show usage and who is hot alike)', () => {
  it('sums what every sub-counter took in the open window', () => {
    const end = NOW + 20_000;
    const counters = [0, 1].map((index) => counter(index, { window_end_ms: end, remaining: 5 - index * 2 }, 2));
    expect(usageOfCounters('app', counters, NOW)).toEqual({
      appId: 'app',
      quotaId: 'q',
      limit: 10,
      used: 2,
      remaining: 8,
      windowStart: end - MINUTE,
      resetAt: end,
    });
  });

  it('counts a window that is over as nothing used, all of the limit left', () => {
    const over = [counter(0, { window_end_ms: NOW, remaining: 0 })];
    expect(usageOfCounters('app', over, NOW)).toMatchObject({ used: 0, remaining: 10, windowStart: null });
  });

  it('shows an anchored quota’s current window when none is open', () => {
    const anchored = [counter(0, { anchor_ms: Date.parse('2026-01-01T00:00:00.000Z') })];
    expect(usageOfCounters('app', anchored, NOW)).toMatchObject({
      used: 0,
      windowStart: Date.parse('2026-11-23T07:00:00.000Z'),
      resetAt: Date.parse('2026-11-23T07:01:00.000Z'),
    });
  });

  it('has every quota field null for counters bound to no quota', () => {
    const unbound: CounterItem = { pk: 'c', sk: 'COUNTER', type: 'counter', app_id: 'app', subcounter: 0 };
    expect(usageOfCounters('app', [unbound], NOW)).toEqual({
      appId: 'app',
      quotaId: null,
      limit: null,
      used: null,
      remaining: null,
      windowStart: null,
      resetAt: null,
    });
  });
});

describe('who is hot: the order', () => {
  const usage = (appId: string, name: string, used: number): AppUsage => ({
    app: { appId, name } as App,
    limit: 10,
    used,
    remaining: 10 - used,
    windowStart: null,
    resetAt: null,
  });

  it('puts the highest use first, equal use by name case-insensitively, then by app id', () => {
    const apps = [
      usage('a2', 'beta', 0),
      usage('a1', 'Alpha', 0),
      usage('a4', 'zulu', 7),
      usage('a3', 'mid', 3),
      usage('a6', 'same', 1),
      usage('a5', 'same', 1),
    ];
    expect(apps.sort(byUse).map((entry) => entry.app.appId)).toEqual(['a4', 'a3', 'a5', 'a6', 'a1', 'a2']);
  });
});

describe('instants in a query (from, to)', () => {
  it('reads RFC 3339 with an offset to the millisecond, and the spaced UTC form', () => {
    expect(parseInstant('2026-11-23T07:04:00.123Z')?.toISOString()).toBe('2026-11-23T07:04:00.123Z');
    expect(parseInstant('2026-11-23T15:04:00.5+08:00')?.toISOString()).toBe('2026-11-23T07:04:00.500Z');
    expect(parseInstant('2026-11-23T07:04:00.123456789Z')?.toISOString()).toBe('2026-11-23T07:04:00.123Z');
    expect(parseInstant('2026-11-23 07:04:00')?.toISOString()).toBe('2026-11-23T07:04:00.000Z');
  });

  it('refuses what names no instant, or one out of range', () => {
    for (const bad of ['2026-11-23T07:04:00', '2026-02-29 00:00:00', '1700000000000', 'now', '1969-12-31 23:59:59']) {
      expect(parseInstant(bad), bad).toBeUndefined();
    }
  });

  const refused = (query: Record<string, string>): string | undefined => {
    try {
      parseWith(historyQuery, query, 'query');
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      return /parameterName:(\w+)\./.exec((error as ApiError).message)?.[1];
    }
  };

  it('takes from and to as instants, either left out, and refuses a to before from naming to', () => {
    expect(parseWith(historyQuery, { from: '2026-11-23 07:00:00' }, 'query')).toEqual({
      offset: 0,
      limit: 20,
      from: new Date('2026-11-23T07:00:00.000Z'),
    });
    expect(refused({ from: '2026-11-23T07:00:00Z', to: '2026-11-23T07:00:00Z' })).toBeUndefined();
    expect(refused({ from: '2026-11-23T07:00:01Z', to: '2026-11-23T07:00:00Z' })).toBe('to');
    expect(refused({ from: 'soon' })).toBe('from');
    expect(refused({ to: '' })).toBe('to');
  });
});
