import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_REFUSAL_RECHECK_MS } from '#domain/refusals.ts';
import { createGuardDeps } from '#guard/index.ts';
import { consumptionResponse } from '#http/consumption-response.ts';
import { type ConsumeOutcome, consume } from '#use-cases/consume/consume.ts';
import { RefusalMemory, WindowOpenings } from '#use-cases/consume/refusal-memory.ts';
import { APP, type ConsumeWorld, CREDENTIAL, consumeWorld, fakeQuota, HOUR, T0 } from '../support/consume-world.ts';
import type { ConsumeRequest, FakeQuota } from '../support/fake-consume-store.ts';

const D = DEFAULT_REFUSAL_RECHECK_MS;
const credential = CREDENTIAL;
type World = ConsumeWorld;

/** A quota of `callLimits` per hour over `subcounters` sub-counters, anchored at T0 (every sub-counter opens the same window). */
const quota = (callLimits: number, subcounters = 1, extra: Partial<FakeQuota> = {}): FakeQuota =>
  fakeQuota(callLimits, subcounters, { anchorMs: T0, ...extra });

/** One container over a fake table holding app-1 (key-1), its round robin starting at `start`, refusals re-checked every D. */
const world = (count = 1, start = 0): World => {
  const w = consumeWorld({ start, refusals: new RefusalMemory(), openings: new WindowOpenings() });
  w.deps.subcounters.set(credential.projectId, credential.instanceId, credential.appKey, count);
  return w;
};

/** Consumes `cost` and says which requests it took. */
const call = async ({ store, deps }: World, cost = 1): Promise<{ outcome: ConsumeOutcome; sent: ConsumeRequest[] }> => {
  store.reset();
  const outcome = await consume(deps, { ...credential, cost });
  return { outcome, sent: [...store.sent] };
};

/** Every sub-counter of the credential with the window open at T0 and `left[i]` units left on sub-counter i. */
const leave = (w: World, left: readonly number[]): void => {
  left.forEach((remaining, index) => {
    w.store.patch(credential, index, { window_end_ms: T0 + HOUR, remaining });
  });
};

/** A quota update as the control plane writes it to every counter: a new limit, each share moved by its difference, a new version. */
const raiseLimit = (w: World, count: number, from: number, to: number): void => {
  for (let index = 0; index < count; index += 1) {
    const item = w.store.counter(credential, index);
    if (!item) throw new Error(`no sub-counter ${index}`);
    const share = (limit: number) => Math.floor(limit / count) + (index < limit % count ? 1 : 0);
    w.store.patch(credential, index, {
      call_limits: to,
      limit_units: share(to),
      remaining: (item.remaining ?? 0) + share(to) - share(from),
      config_version: (item.config_version ?? 1) + 1,
    });
  }
};

/** A small deterministic generator (mulberry32), so that a failing sequence can be replayed from its seed. */
const seeded = (seed: number) => {
  let state = seed >>> 0;
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** The header fields of the 429 a refusal is answered with. */
const refusalHeaders = (outcome: ConsumeOutcome): Record<string, string> => {
  try {
    consumptionResponse(outcome);
  } catch (error) {
    return (error as { headers: Record<string, string> }).headers;
  }
  throw new Error('expected a 429');
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

describe('refusals from memory', () => {
  it.each([1, 4])(
    'refuses with no request once the container saw the window exhausted (%i sub-counters)',
    async (count) => {
      const w = world(count);
      w.store.bind(credential, quota(4 * count, count));
      leave(w, Array(count).fill(0));
      // Learned 3 s before the window ends.
      w.clock.set(T0 + HOUR - 3_000);
      const first = await call(w);
      expect(first.outcome.admitted).toBe(false);
      // Every sub-counter asked once, then the quota's state.
      expect(first.sent).toEqual([...Array(count).fill('consumeInWindow'), 'getQuotaState']);
      let last = first.outcome;
      for (const [advance, cost] of [
        [0, 1],
        [10, 1],
        [D - 11, 7],
      ] as const) {
        w.clock.advance(advance);
        const next = await call(w, cost);
        expect(next.sent).toEqual([]);
        expect(next.outcome).toEqual({ ...first.outcome, now: w.clock.ms });
        last = next.outcome;
      }
      // The 429's fields: the quota as seen, Retry-After and the reset counted from this call (2.001 s left).
      expect(refusalHeaders(last)).toEqual({
        'RateLimit-Policy': `"quota-1";q=${4 * count};w=3600`,
        RateLimit: '"quota-1";r=0;t=3',
        'Retry-After': '3',
      });
    },
  );

  it('refuses from memory the same or a higher cost only; a lower one that may fit is asked', async () => {
    const w = world();
    w.store.bind(credential, quota(5));
    leave(w, [2]);
    const first = await call(w, 3);
    expect(first.outcome).toMatchObject({ admitted: false, quota: { remaining: 2 } });
    expect((await call(w, 3)).sent).toEqual([]);
    expect((await call(w, 4)).sent).toEqual([]);
    const lower = await call(w, 2);
    expect(lower).toMatchObject({ outcome: { admitted: true, quota: { remaining: 0 } }, sent: ['consumeInWindow'] });
  });

  it('asks again once D has passed, with one real attempt, and never admits from memory', async () => {
    const w = world(4);
    w.store.bind(credential, quota(8, 4));
    leave(w, [0, 0, 0, 0]);
    await call(w);
    w.clock.advance(D);
    // One sub-counter asked (and the quota's state, read again after a second), not four.
    const recheck = await call(w);
    expect(recheck.outcome.admitted).toBe(false);
    expect(recheck.sent).toEqual(['consumeInWindow', 'getQuotaState']);
    expect((await call(w)).sent).toEqual([]);
  });

  it('goes when its window ends: the next window is asked', async () => {
    const w = world();
    w.store.bind(credential, quota(2));
    leave(w, [0]);
    await call(w);
    w.clock.set(T0 + HOUR);
    const next = await call(w);
    expect(next.outcome).toMatchObject({ admitted: true, quota: { remaining: 1, windowStart: T0 + HOUR } });
    expect(next.sent).toEqual(['consumeInWindow', 'openWindow']);
  });

  it('is off at D = 0: every refusal asks', async () => {
    const w = world();
    const deps = { ...w.deps, refusalRecheckMs: 0 };
    w.store.bind(credential, quota(2));
    leave(w, [0]);
    for (let n = 0; n < 3; n += 1) {
      w.store.reset();
      expect((await consume(deps, { ...credential, cost: 1 })).admitted).toBe(false);
      expect(w.store.count('consumeInWindow')).toBe(1);
    }
  });

  it('is kept per container even when the deps were built without one (the default D)', async () => {
    const w = world();
    const { refusals: _r, openings: _o, ...byHand } = w.deps;
    w.store.bind(credential, quota(2));
    leave(w, [0]);
    await consume(byHand, { ...credential, cost: 1 });
    w.store.reset();
    expect((await consume(byHand, { ...credential, cost: 1 })).admitted).toBe(false);
    expect(w.store.sent).toEqual([]);
  });

  it('holds at most its capacity of credentials, least recently used going first', async () => {
    const w = world();
    const refusals = new RefusalMemory(2);
    const deps = { ...w.deps, refusals };
    for (const appKey of ['a', 'b', 'c']) {
      const other = { ...credential, appKey };
      w.store.addApp(other, `app-${appKey}`);
      w.store.bind(other, quota(1));
      w.store.patch(other, 0, { window_end_ms: T0 + HOUR, remaining: 0 });
      expect((await consume(deps, { ...other, cost: 1 })).admitted).toBe(false);
    }
    expect(refusals.size).toBe(2);
    w.store.reset();
    await consume(deps, { ...credential, appKey: 'c', cost: 1 });
    expect(w.store.sent).toEqual([]);
    await consume(deps, { ...credential, appKey: 'a', cost: 1 });
    expect(w.store.count('consumeInWindow')).toBe(1);
  });
});

describe('settings changes reach refusals within D', () => {
  it.each([1, 4])('a raised limit admits again from D on, not before (%i sub-counters)', async (count) => {
    const w = world(count);
    w.store.bind(credential, quota(4 * count, count));
    leave(w, Array(count).fill(0));
    expect((await call(w)).outcome.admitted).toBe(false);
    w.clock.advance(100);
    raiseLimit(w, count, 4 * count, 8 * count);
    w.clock.advance(D - 101);
    const stale = await call(w);
    expect(stale).toMatchObject({ outcome: { admitted: false }, sent: [] });
    w.clock.advance(1);
    const fresh = await call(w);
    expect(fresh.outcome).toMatchObject({ admitted: true, quota: { limit: 8 * count, remaining: 3 } });
    expect(fresh.sent).toEqual(['consumeInWindow']);
    // Nothing of the old settings is left in memory: each sub-counter is asked as usual.
    expect((await call(w)).outcome.admitted).toBe(true);
  });

  it('a raised limit that gives units to one sub-counter only is found by a re-check that asks another', async () => {
    // 8 over 4 is 2 each; 9 over 4 gives sub-counter 0 one more and the others none.
    for (const start of [0, 0.25, 0.5, 0.75]) {
      const w = world(4, start);
      w.store.bind(credential, quota(8, 4));
      leave(w, [0, 0, 0, 0]);
      expect((await call(w)).outcome.admitted).toBe(false);
      raiseLimit(w, 4, 8, 9);
      w.clock.advance(D);
      const fresh = await call(w);
      expect(fresh.outcome, `start ${start}`).toMatchObject({ admitted: true, quota: { limit: 9, remaining: 0 } });
      expect(w.store.counter(credential, 0)?.remaining).toBe(0);
    }
  });

  it('an unbind lets calls through from D on', async () => {
    const w = world();
    w.store.bind(credential, quota(2));
    leave(w, [0]);
    await call(w);
    w.store.put({ ...(w.store.counter(credential) as object), quota_id: undefined } as never);
    w.clock.advance(D - 1);
    expect((await call(w)).outcome.admitted).toBe(false);
    w.clock.advance(1);
    expect(await call(w)).toEqual({
      outcome: { admitted: true, appId: APP, quota: undefined, now: T0 + D },
      sent: ['consumeInWindow'],
    });
  });
});

describe('a quota seen being deleted', () => {
  it.each([1, 4])(
    'costs no request within D (let through as unbound), one update after D, and a bind elsewhere counts within D (%i sub-counters)',
    async (count) => {
      const w = world(count);
      w.store.bind(credential, quota(2 * count, count));
      leave(w, Array(count).fill(0));
      w.store.markDeleting('quota-1');
      const first = await call(w);
      expect(first.outcome).toEqual({ admitted: true, appId: APP, quota: undefined, now: T0 });
      // Every sub-counter refused, the quota read (deleting), every sub-counter asked once more.
      expect(first.sent).toEqual([
        ...Array(count).fill('consumeInWindow'),
        'getQuotaState',
        ...Array(count).fill('consumeInWindow'),
      ]);
      for (const cost of [1, 5]) {
        w.clock.advance(D / 4);
        expect(await call(w, cost)).toEqual({
          outcome: { admitted: true, appId: APP, quota: undefined, now: w.clock.ms },
          sent: [],
        });
      }
      // D after the last question: one sub-counter is asked, the ghost's refusal lets it through.
      w.clock.advance(D);
      expect(await call(w)).toEqual({
        outcome: { admitted: true, appId: APP, quota: undefined, now: w.clock.ms },
        sent: ['consumeInWindow'],
      });
      // Bound to another quota: within D still let through unbound, from D on counted there.
      w.store.bind(credential, quota(10 * count, count, { quotaId: 'quota-2' }));
      leave(w, Array(count).fill(10));
      w.clock.advance(D / 2);
      expect((await call(w)).sent).toEqual([]);
      w.clock.advance(D / 2);
      const rebound = await call(w);
      expect(rebound.outcome).toMatchObject({ admitted: true, quota: { quotaId: 'quota-2', remaining: 9 } });
      expect(rebound.sent).toEqual(['consumeInWindow']);
    },
  );

  it('costs no request for a credential refused in this container before its quota was seen deleting', async () => {
    const w = world();
    w.store.bind(credential, quota(2));
    leave(w, [0]);
    expect((await call(w)).outcome.admitted).toBe(false);
    // Another credential of the quota, refused in this container after the delete began, shows it deleting.
    const other = { ...credential, appKey: 'key-2' };
    w.store.addApp(other, 'app-2');
    w.store.bind(other, quota(2));
    w.store.patch(other, 0, { window_end_ms: T0 + HOUR, remaining: 0 });
    w.store.markDeleting('quota-1');
    w.clock.advance(D);
    expect((await consume(w.deps, { ...other, cost: 1 })).quota).toBeUndefined();
    w.clock.set(T0 + 1);
    expect(await call(w)).toEqual({
      outcome: { admitted: true, appId: APP, quota: undefined, now: T0 + 1 },
      sent: [],
    });
  });
});

describe('sub-counters: a refusal asks only those that may take the call', () => {
  it('skips the sub-counters seen short for the cost, and asks the others', async () => {
    const w = world(4);
    w.store.bind(credential, quota(12, 4));
    leave(w, [0, 2, 0, 2]);
    expect((await call(w, 3)).outcome.admitted).toBe(false);
    // A cost of 1: sub-counters 0 and 2 (0 left) are skipped; 1 takes it.
    const small = await call(w, 1);
    expect(small).toMatchObject({ outcome: { admitted: true, quota: { remaining: 1 } }, sent: ['consumeInWindow'] });
    expect(w.store.counter(credential, 1)?.remaining).toBe(1);
    // Another container takes the last units of 1 and 3: a cost of 2 asks 1 and 3 only, and is refused.
    w.store.patch(credential, 1, { remaining: 0 });
    w.store.patch(credential, 3, { remaining: 1 });
    const refused = await call(w, 2);
    expect(refused.outcome.admitted).toBe(false);
    expect(refused.sent).toEqual(['consumeInWindow', 'consumeInWindow']);
    expect((await call(w, 2)).sent).toEqual([]);
    expect((await call(w, 1)).sent.length).toBe(1);
  });

  it('never refuses a call some sub-counter could take (random costs and other containers, 300 calls)', async () => {
    for (const seed of [1, 2, 3]) {
      const random = seeded(seed);
      const w = world(4, random());
      w.store.bind(credential, quota(40, 4));
      leave(w, [10, 10, 10, 10]);
      let requests = 0;
      for (let n = 0; n < 100; n += 1) {
        if (random() < 0.3) {
          // Another container takes units from one sub-counter.
          const index = Math.floor(random() * 4);
          const left = w.store.counter(credential, index)?.remaining ?? 0;
          w.store.patch(credential, index, { remaining: Math.max(0, left - Math.ceil(random() * 3)) });
        }
        w.clock.advance(Math.floor(random() * 300));
        const cost = 1 + Math.floor(random() * 4);
        const lefts = [0, 1, 2, 3].map((index) => w.store.counter(credential, index)?.remaining ?? 0);
        const { outcome, sent } = await call(w, cost);
        requests += sent.filter((kind) => kind === 'consumeInWindow').length;
        expect(outcome.admitted, `seed ${seed}, call ${n}: cost ${cost}, left ${lefts}`).toBe(
          lefts.some((left) => left >= cost),
        );
      }
      // Without the memory, each refusal once the units run low would ask all four.
      expect(requests, `seed ${seed}`).toBeLessThan(200);
    }
  });

  it('counts no throttled sub-counter as short: the call is taken by another, and later by it', async () => {
    const w = world(4, 0.25);
    w.store.bind(credential, quota(8, 4));
    leave(w, [0, 2, 0, 0]);
    w.store.throttle(1);
    // 1 throttled, 2, 3 and 0 short: refused, the throttled one not remembered as short.
    expect((await call(w)).outcome.admitted).toBe(false);
    w.store.unthrottle(1);
    const taken = await call(w);
    expect(taken.outcome).toMatchObject({ admitted: true, quota: { remaining: 1 } });
    expect(taken.sent).toEqual(['consumeInWindow']);
  });

  it('takes a call on another sub-counter when the one aimed at is throttled', async () => {
    const w = world(4, 0.25);
    w.store.bind(credential, quota(8, 4));
    leave(w, [0, 2, 2, 0]);
    w.store.throttle(1);
    const { outcome, sent } = await call(w);
    expect(outcome).toMatchObject({ admitted: true, quota: { remaining: 1 } });
    expect(sent).toEqual(['consumeInWindow', 'consumeInWindow']);
    expect(w.store.counter(credential, 2)?.remaining).toBe(1);
    expect(w.store.counter(credential, 1)?.remaining).toBe(2);
  });
});

describe('opening a window: one opener per container', () => {
  it.each([
    ['unanchored', undefined],
    ['anchored', T0],
  ])('K concurrent calls at the start of an %s window cost one opening write', async (_, anchorMs) => {
    const K = 8;
    const w = world();
    w.store.bind(credential, quota(20, 1, { anchorMs }));
    w.store.reset();
    const outcomes = await Promise.all(Array.from({ length: K }, () => consume(w.deps, { ...credential, cost: 1 })));
    expect(outcomes.every((outcome) => outcome.admitted)).toBe(true);
    expect(w.store.count('openWindow')).toBe(1);
    // The container knew no open window: the first call's update found none and it opened one;
    // the others waited for it, then took from that window with one update each (no failed write).
    expect(w.store.count('consumeInWindow')).toBe(K);
    expect(w.store.counter(credential)).toMatchObject({ remaining: 20 - K, window_end_ms: T0 + HOUR });
    expect(new Set(outcomes.map((outcome) => outcome.quota?.remaining)).size).toBe(K);
  });

  it('lets waiters open the window themselves when the opener could not', async () => {
    const w = world();
    w.store.bind(credential, quota(3));
    w.store.reset();
    // The first call costs more than the limit: its opening is refused; one of the others (cost 1)
    // opens the window, and the last waits for that one.
    const outcomes = await Promise.all([4, 1, 1].map((cost) => consume(w.deps, { ...credential, cost })));
    expect(outcomes.map((outcome) => outcome.admitted)).toEqual([false, true, true]);
    expect(w.store.counter(credential)).toMatchObject({ remaining: 1 });
    expect(w.store.count('openWindow')).toBe(2);
  });
});

describe('the guard package: createGuardDeps', () => {
  const table = { tableName: 'credential-quota', region: 'us-east-1' };

  it('takes D from its option, else REFUSAL_RECHECK_MS, else 1000, each checked (0 to 5000)', () => {
    expect(createGuardDeps(table).refusalRecheckMs).toBe(1000);
    expect(createGuardDeps({ ...table, refusalRecheckMs: 0 }).refusalRecheckMs).toBe(0);
    expect(() => createGuardDeps({ ...table, refusalRecheckMs: 5001 })).toThrow(RangeError);
    expect(() => createGuardDeps({ ...table, refusalRecheckMs: 0.5 })).toThrow(RangeError);
    vi.stubEnv('REFUSAL_RECHECK_MS', '250');
    try {
      expect(createGuardDeps(table).refusalRecheckMs).toBe(250);
      expect(createGuardDeps({ ...table, refusalRecheckMs: 2000 }).refusalRecheckMs).toBe(2000);
      vi.stubEnv('REFUSAL_RECHECK_MS', 'often');
      expect(() => createGuardDeps(table)).toThrow(/REFUSAL_RECHECK_MS/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
