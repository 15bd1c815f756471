import { describe, expect, it } from 'vitest';
import { checkLeaseUnits, LeaseBook } from '#guard/leases.ts';
import type { ConsumeDeps } from '#use-cases/consume/consume.ts';
import { QuotaStateCache } from '#use-cases/consume/quota-state-cache.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import { createTestApi } from '../support/api-client.ts';
import { manualClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { countRequests } from '../support/request-counter.ts';

/** A fresh table, one instance, one app bound to a quota with these settings. */
const setUp = async (quota: Record<string, unknown>) => {
  const clock = manualClock();
  const api = await createTestApi({ clock });
  const requests = countRequests(api.db.client);
  const { call, createQuota, bind, project, instanceId } = await newInstance(api);
  const app = (await call('POST', '/apps', { name: 'leased' })).body;
  const quotaId = await createQuota('leased', { time_interval: 1, ...quota });
  await bind(quotaId, [app.id]);
  const input = (cost = 1) => ({ projectId: project, instanceId, appKey: app.app_key as string, cost });
  const used = async (): Promise<number> => (await call('GET', `/apps/${app.id}/quota-usage`)).body.used;
  /** A container's own caches over the shared table. */
  const container = (): ConsumeDeps => ({
    ...api.deps,
    subcounters: new SubcounterCache(),
    quotaStates: new QuotaStateCache(),
  });
  return { api, clock, requests, call, quotaId, input, used, container };
};

const admittedOf = async (
  book: LeaseBook,
  deps: ConsumeDeps,
  input: Parameters<LeaseBook['consume']>[1],
  calls: number,
) => {
  let admitted = 0;
  for (let n = 0; n < calls; n += 1) if ((await book.consume(deps, input)).admitted) admitted += 1;
  return admitted;
};

describe('leases (quotaGuard leases: { units: k })', () => {
  it('take k units in one write, then admit k-1 calls from memory', async () => {
    const { requests, input, used, container } = await setUp({ call_limits: 1_000_000, time_unit: 'DAY' });
    const book = new LeaseBook(10);
    const deps = container();
    requests.reset();
    expect(await admittedOf(book, deps, input(), 30)).toBe(30);
    // The first take opens the window (a refused update, then the opening one), the next two are
    // one UpdateItem each: three takes of 10 for 30 calls.
    expect(requests.sent).toEqual(['UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem']);
    expect(await used()).toBe(30);
  });

  it('never admit more than the limit across 4 containers, 16 calls at a time; leave at most 4 x (k-1) unused', async () => {
    const { input, used, container } = await setUp({ call_limits: 50, time_unit: 'DAY' });
    const containers = Array.from({ length: 4 }, () => ({ book: new LeaseBook(10), deps: container() }));
    let admitted = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let index = next++; index < 200; index = next++) {
          const { book, deps } = containers[index % 4] as (typeof containers)[number];
          if ((await book.consume(deps, input())).admitted) admitted += 1;
        }
      }),
    );
    const taken = await used();
    expect(taken).toBeLessThanOrEqual(50);
    expect(admitted).toBeLessThanOrEqual(taken);
    expect(admitted).toBeGreaterThanOrEqual(50 - 4 * 9);
  });

  it('end with their window: a lease of the last window admits nothing in the next', async () => {
    const { clock, input, used, container } = await setUp({ call_limits: 100, time_unit: 'MINUTE' });
    const book = new LeaseBook(10);
    const deps = container();
    expect((await book.consume(deps, input())).admitted).toBe(true);
    clock.advance(61_000);
    const next = await book.consume(deps, input());
    expect(next).toMatchObject({ admitted: true, quota: { remaining: 99 } });
    // The new window counts only its own take: the 9 units left of the last one are gone with it.
    expect(await used()).toBe(10);
  });

  it('let a quota change reach a container within one lease: k-1 more calls at most', async () => {
    const { call, quotaId, input, container } = await setUp({ call_limits: 100, time_unit: 'DAY' });
    const book = new LeaseBook(10);
    const deps = container();
    expect((await book.consume(deps, input())).admitted).toBe(true);
    const updated = await call('PUT', `/app-quotas/${quotaId}`, {
      name: 'leased',
      call_limits: 5,
      time_unit: 'DAY',
      time_interval: 1,
    });
    expect(updated.status).toBe(200);
    // The 9 units of the lease were taken under the old limit and are still granted; the next take
    // meets the new one (10 used, limit 5) and is refused.
    expect(await admittedOf(book, deps, input(), 9)).toBe(9);
    expect(await book.consume(deps, input())).toMatchObject({ admitted: false, quota: { limit: 5 } });
  });

  it("shrink near the window's end, to what this container's pace would use before it", async () => {
    const { clock, input, used, container } = await setUp({ call_limits: 1000, time_unit: 'MINUTE' });
    const book = new LeaseBook(10);
    const deps = container();
    expect(await admittedOf(book, deps, input(), 10)).toBe(10);
    expect(await used()).toBe(10);
    // 10 calls in 50 s, 10 s left: this pace uses 2 more, so the take is 2, not 10.
    clock.advance(50_000);
    expect(await admittedOf(book, deps, input(), 2)).toBe(2);
    expect(await used()).toBe(12);
  });

  it('shrink when few units remain: never more than a quarter of them, the last ones exactly', async () => {
    const { input, used, container } = await setUp({ call_limits: 12, time_unit: 'DAY' });
    const book = new LeaseBook(10);
    const deps = container();
    // 10, then 2 left (a quarter of 2 is 0): one unit at a time, and not one more.
    expect(await admittedOf(book, deps, input(), 14)).toBe(12);
    expect(await used()).toBe(12);
  });

  it.each([2, 4, 16])(
    'over %i sub-counters with k above the largest share and no window open: the refused take falls back to the call, admitted',
    async (subcounters) => {
      // 18 over N: the largest share is 9, 5 or 2, each below k = 10.
      const { requests, input, used, container } = await setUp({ call_limits: 18, time_unit: 'DAY', subcounters });
      const book = new LeaseBook(10);
      const deps = container();
      requests.reset();
      const first = await book.consume(deps, input());
      expect(first).toMatchObject({ admitted: true, quota: { limit: 18 } });
      // The take of 10 refused on the main counter (its update, its refused opening, the quota's
      // state), then the call's own cost, aimed at a sub-counter now that the count is known (its
      // update, a read of the main counter, whose update and opening admit it): no request loops.
      expect(requests.sent.length).toBeLessThanOrEqual(7);
      expect(await used()).toBe(1);
      expect(await admittedOf(book, deps, input(), 2)).toBe(2);
      expect(await used()).toBe(3);
      // A call above the largest share is refused (429 through the guard), not thrown.
      expect(await book.consume(deps, input(Math.ceil(18 / subcounters) + 1))).toMatchObject({ admitted: false });
      expect(await used()).toBe(3);
    },
  );

  it('are 2 to 100 units', () => {
    for (const units of [2, 10, 100]) expect(checkLeaseUnits(units)).toBe(units);
    for (const units of [0, 1, 101, 2.5, Number.NaN])
      expect(() => checkLeaseUnits(units), String(units)).toThrow(RangeError);
  });
});
