import { describe, expect, it } from 'vitest';
import { DEFAULT_REFUSAL_RECHECK_MS } from '#domain/refusals.ts';
import { consume } from '#use-cases/consume/consume.ts';
import { type ManualClock, manualClock } from '../support/clocks.ts';
import { CREDENTIAL, consumeWorld, fakeQuota, HOUR, T0 } from '../support/consume-world.ts';
import { FakeConsumeStore, type FakeQuota } from '../support/fake-consume-store.ts';

const D = DEFAULT_REFUSAL_RECHECK_MS;
const K = 16;
const credential = CREDENTIAL;

/** `callLimits` per hour, anchored at T0. */
const quota = (callLimits: number, subcounters = 1): FakeQuota => fakeQuota(callLimits, subcounters, { anchorMs: T0 });

/** A cold container (its own caches and memories) over a fake table holding app-1, at T0. */
const container = (store = new FakeConsumeStore(), clock: ManualClock = manualClock(T0)) => {
  const { deps } = consumeWorld({ store, clock });
  const calls = (count: number) =>
    Promise.all(Array.from({ length: count }, () => consume(deps, { ...credential, cost: 1 })));
  return { store, clock, deps, calls };
};

describe('a container that knows no open window of the credential: one call goes first', () => {
  it('at the start of the next window, K concurrent calls cost one failed update and one opening', async () => {
    const { store, clock, calls } = container();
    store.bind(credential, quota(100));
    await calls(1);
    clock.set(T0 + HOUR + 5);
    store.reset();
    const outcomes = await calls(K);
    expect(outcomes.every((outcome) => outcome.admitted)).toBe(true);
    // The first finds the window over and opens the next; the others take from it, one update each.
    expect(store.count('openWindow')).toBe(1);
    expect(store.count('consumeInWindow')).toBe(K);
    expect(store.counter(credential)).toMatchObject({ remaining: 100 - K, window_end_ms: T0 + 2 * HOUR });
  });

  it.each([1, 4])(
    'on an exhausted credential, K concurrent calls of a cold container cost one refusal (%i sub-counters)',
    async (subcounters) => {
      const { store, calls } = container();
      store.bind(credential, quota(subcounters, subcounters));
      for (let index = 0; index < subcounters; index += 1)
        store.patch(credential, index, { window_end_ms: T0 + HOUR, remaining: 0 });
      store.reset();
      const outcomes = await calls(K);
      expect(outcomes.every((outcome) => !outcome.admitted)).toBe(true);
      // Every sub-counter asked once and the quota's state read once: the others are refused from memory.
      expect(store.sent).toEqual([...Array(subcounters).fill('consumeInWindow'), 'getQuotaState']);
    },
  );

  it('each container goes first once: across containers the opening costs at most two writes each', async () => {
    const store = new FakeConsumeStore();
    const clock = manualClock(T0);
    const fleet = [container(store, clock), container(store, clock), container(store, clock)];
    store.bind(credential, quota(100));
    store.reset();
    const outcomes = (await Promise.all(fleet.map(({ calls }) => calls(K)))).flat();
    expect(outcomes.every((outcome) => outcome.admitted)).toBe(true);
    expect(store.counter(credential)?.remaining).toBe(100 - 3 * K);
    // Each container's first: an update finding no window, an opening (the losers' fail and are
    // retried once more); everyone else: one update.
    expect(store.count('openWindow')).toBeLessThanOrEqual(fleet.length);
    expect(store.count('consumeInWindow')).toBeLessThanOrEqual(3 * K + 2 * (fleet.length - 1));
  });
});

describe('a refusal decided late', () => {
  it('does not bring the next real attempt forward: a later re-check stands', async () => {
    const { store, clock, deps, calls } = container();
    store.bind(credential, quota(2));
    store.patch(credential, 0, { window_end_ms: T0 + HOUR, remaining: 1 });
    // Admitted: the container knows the window is open, so concurrent calls go to DynamoDB together.
    await calls(1);
    // The first read of the quota's state (the late refusal's) waits until the test lets it answer.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reads = 0;
    const slow = new Proxy(store, {
      get: (target, property) => {
        if (property === 'getQuotaState')
          return async (...args: Parameters<FakeConsumeStore['getQuotaState']>) => {
            reads += 1;
            if (reads === 1) await held;
            return target.getQuotaState(...args);
          };
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const slowDeps = { ...deps, store: slow };
    const late = consume(slowDeps, { ...credential, cost: 1 });
    expect((await consume(slowDeps, { ...credential, cost: 1 })).admitted).toBe(false);
    // D later: the re-check (one update, one read), while the late refusal still waits for its read.
    clock.advance(D);
    store.reset();
    expect((await consume(slowDeps, { ...credential, cost: 1 })).admitted).toBe(false);
    expect(store.sent).toEqual(['consumeInWindow', 'getQuotaState']);
    release();
    expect((await late).admitted).toBe(false);
    clock.advance(1);
    store.reset();
    expect((await consume(slowDeps, { ...credential, cost: 1 })).admitted).toBe(false);
    expect(store.sent).toEqual([]);
  });
});
