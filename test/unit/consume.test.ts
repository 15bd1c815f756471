import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '#domain/errors.ts';
import { counterKey } from '#store/table/keys.ts';
import { consume } from '#use-cases/consume/consume.ts';
import { APP, type ConsumeWorld, CREDENTIAL, consumeWorld, fakeQuota, HOUR, T0 } from '../support/consume-world.ts';
import type { ConsumeRequest } from '../support/fake-consume-store.ts';

const credential = CREDENTIAL;
const quota = fakeQuota;
type World = ConsumeWorld;

/**
 * One container at T0 over a fake table with app-1 (key-1): `start` in [0, 1) picks where the
 * credential's round robin starts once its count is known. Refusals are never answered from
 * memory here (`refusalRecheckMs` 0: every call asks DynamoDB, as before the memory): these tests
 * show what each call asks; consume-refusals.test.ts shows what the memory saves.
 */
const world = (start = 0): World => consumeWorld({ start, refusalRecheckMs: 0 });

/** A world whose container already knows the credential's `count` sub-counters (a warm container). */
const warm = (count: number, start = 0): World => {
  const w = world(start);
  w.deps.subcounters.set(credential.projectId, credential.instanceId, credential.appKey, count);
  return w;
};

/** Consumes `cost` and says which requests it took. */
const call = async ({ store, deps }: World, cost = 1) => {
  store.reset();
  const outcome = await consume(deps, { ...credential, cost });
  return { outcome, sent: [...store.sent] as ConsumeRequest[] };
};

/** Lets every pending promise callback run (a macrotask: setImmediate is not faked). */
const settled = () => new Promise((done) => setImmediate(done));

const thrownBy = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

/** The key of sub-counter `index`, for a test that writes an odd item there. */
const leftover = (index: number) => counterKey(credential.projectId, credential.instanceId, credential.appKey, index);

/** Opens the credential's window (on the main counter) at T0 with one unit counted. */
const openAtT0 = async (w: World) => {
  expect((await call(w)).outcome.admitted).toBe(true);
};

beforeEach(() => {
  // The pause after a concurrent change is a setTimeout: faked, so no test waits on real time.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

describe('consume over a fake store', () => {
  describe('one counter', () => {
    it('admits an unbound credential with no quota, in one request', async () => {
      const w = world();
      expect(await call(w)).toEqual({
        outcome: { admitted: true, appId: APP, quota: undefined, now: T0 },
        sent: ['consumeInWindow'],
      });
    });

    it('opens an unanchored window at the first counted call, on the main counter, with the call counted', async () => {
      const w = world();
      w.store.bind(credential, quota(10));
      expect(await call(w, 3)).toEqual({
        outcome: {
          admitted: true,
          appId: APP,
          quota: {
            quotaId: 'quota-1',
            limit: 10,
            remaining: 7,
            windowStart: T0,
            windowEnd: T0 + HOUR,
            configVersion: 1,
          },
          now: T0,
        },
        sent: ['consumeInWindow', 'openWindow'],
      });
      expect(w.store.counter(credential)).toMatchObject({ window_end_ms: T0 + HOUR, remaining: 7 });
    });

    it('admits in the open window in one request, showing what is left and the window', async () => {
      const w = world();
      w.store.bind(credential, quota(10));
      await openAtT0(w);
      w.clock.advance(60_000);
      const { outcome, sent } = await call(w, 2);
      expect(sent).toEqual(['consumeInWindow']);
      expect(outcome).toEqual({
        admitted: true,
        appId: APP,
        quota: { quotaId: 'quota-1', limit: 10, remaining: 7, windowStart: T0, windowEnd: T0 + HOUR, configVersion: 1 },
        now: T0 + 60_000,
      });
    });

    it('refuses a call costing more than is left, using nothing, with the remaining units and the window', async () => {
      const w = world();
      w.store.bind(credential, quota(3));
      await openAtT0(w);
      w.clock.advance(1_000);
      const refused = await call(w, 3);
      expect(refused.outcome).toEqual({
        admitted: false,
        appId: APP,
        quota: { quotaId: 'quota-1', limit: 3, remaining: 2, windowStart: T0, windowEnd: T0 + HOUR, configVersion: 1 },
        now: T0 + 1_000,
      });
      // A refusal reads the quota once (is it being deleted?); the container remembers it live for a second.
      expect(refused.sent).toEqual(['consumeInWindow', 'getQuotaState']);
      expect(w.store.counter(credential)).toMatchObject({ remaining: 2 });
      expect((await call(w, 3)).sent).toEqual(['consumeInWindow']);
      w.clock.advance(1_000);
      expect((await call(w, 3)).sent).toEqual(['consumeInWindow', 'getQuotaState']);
      expect((await call(w, 2)).outcome).toMatchObject({ admitted: true, quota: { remaining: 0 } });
    });

    it('reads a missing quota again at every refusal (nothing to remember of it)', async () => {
      const w = world();
      w.store.bind(credential, quota(1));
      await openAtT0(w);
      w.store.dropQuota('quota-1');
      for (let n = 0; n < 2; n += 1) {
        const { outcome, sent } = await call(w);
        expect(outcome.admitted).toBe(false);
        expect(sent).toEqual(['consumeInWindow', 'getQuotaState']);
      }
    });

    it('refuses a cost above the whole limit without opening a window, showing the window it would have opened', async () => {
      const w = world();
      w.store.bind(credential, quota(5));
      const { outcome, sent } = await call(w, 6);
      expect(outcome).toMatchObject({
        admitted: false,
        quota: { limit: 5, remaining: 0, windowStart: T0, windowEnd: T0 + HOUR },
      });
      expect(sent).toEqual(['consumeInWindow', 'openWindow', 'getQuotaState']);
      expect(w.store.counter(credential)).not.toHaveProperty('window_end_ms');
    });

    it('opens the next window when the last one has ended', async () => {
      const w = world();
      w.store.bind(credential, quota(2));
      await openAtT0(w);
      w.clock.set(T0 + HOUR);
      const { outcome, sent } = await call(w, 2);
      expect(sent).toEqual(['consumeInWindow', 'openWindow']);
      expect(outcome.quota).toMatchObject({ remaining: 0, windowStart: T0 + HOUR, windowEnd: T0 + 2 * HOUR });
    });

    it('opens an anchored window at its reset time, not at the call', async () => {
      const w = world();
      const anchorMs = T0 - 30 * 60_000 - 5 * HOUR;
      w.store.bind(credential, quota(10, 1, { anchorMs }));
      const { outcome } = await call(w);
      expect(outcome.quota).toMatchObject({ windowStart: T0 - 30 * 60_000, windowEnd: T0 + 30 * 60_000 });
    });
  });

  describe('concurrent changes', () => {
    it('pauses and reads again when a transaction held the counter (again)', async () => {
      const w = world();
      w.store.bind(credential, quota(10));
      await openAtT0(w);
      w.store.conflict('consumeInWindow', 1);
      w.store.reset();
      const pending = consume(w.deps, { ...credential, cost: 1 });
      await settled();
      // Paused: one request sent, the next waits on the timer.
      expect(w.store.sent).toEqual(['consumeInWindow']);
      expect(vi.getTimerCount()).toBe(1);
      await vi.runAllTimersAsync();
      expect(await pending).toMatchObject({ admitted: true, quota: { remaining: 8 } });
      expect(w.store.sent).toEqual(['consumeInWindow', 'consumeInWindow']);
    });

    it('pauses and takes from the window another call opened first (overtaken)', async () => {
      const w = world();
      w.store.bind(credential, quota(10));
      // Another container opens the window between this call's refused update and its opening one.
      w.store.before('openWindow', () => w.store.patch(credential, 0, { window_end_ms: T0 + HOUR, remaining: 9 }));
      w.store.reset();
      const pending = consume(w.deps, { ...credential, cost: 1 });
      await settled();
      expect(w.store.sent).toEqual(['consumeInWindow', 'openWindow']);
      expect(vi.getTimerCount()).toBe(1);
      await vi.runAllTimersAsync();
      expect(await pending).toMatchObject({ admitted: true, quota: { remaining: 8, windowEnd: T0 + HOUR } });
      expect(w.store.sent).toEqual(['consumeInWindow', 'openWindow', 'consumeInWindow']);
    });

    it('pauses and tries again when a transaction held the counter it was opening', async () => {
      const w = world();
      w.store.bind(credential, quota(10));
      w.store.conflict('openWindow', 1);
      const pending = call(w);
      await vi.runAllTimersAsync();
      const { outcome, sent } = await pending;
      expect(outcome).toMatchObject({ admitted: true, quota: { remaining: 9 } });
      expect(sent).toEqual(['consumeInWindow', 'openWindow', 'consumeInWindow', 'openWindow']);
    });

    it('gives up after its attempt limit with an error (a 500), not an answer', async () => {
      const w = world();
      w.store.bind(credential, quota(10));
      w.store.conflict('consumeInWindow', 1_000);
      const pending = thrownBy(consume(w.deps, { ...credential, cost: 1 }));
      await vi.runAllTimersAsync();
      const error = await pending;
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(ApiError);
      expect((error as Error).message).toContain('consume for an app of instance instance-1');
      // 10 attempts, and 3 more per sub-counter the credential has (1 here).
      expect(w.store.count('consumeInWindow')).toBe(13);
      expect(w.store.count()).toBe(13);
    });

    it('has 3 more attempts per sub-counter it knows of', async () => {
      const w = warm(4);
      w.store.bind(credential, quota(10, 4));
      w.store.conflict('consumeInWindow', 1_000);
      const pending = thrownBy(consume(w.deps, { ...credential, cost: 1 }));
      await vi.runAllTimersAsync();
      expect(await pending).toBeInstanceOf(Error);
      expect(w.store.count('consumeInWindow')).toBe(22);
    });
    it.each([
      [1, 13],
      [4, 22],
    ])('says how many attempts it made (%i sub-counters: %i)', async (count, attempts) => {
      const w = warm(count);
      w.store.bind(credential, quota(10, count));
      w.store.conflict('consumeInWindow', 1_000);
      const pending = thrownBy(consume(w.deps, { ...credential, cost: 1 }));
      await vi.runAllTimersAsync();
      expect(((await pending) as Error).message).toBe(
        `consume for an app of instance instance-1 undecided after ${attempts} attempts`,
      );
    });
  });

  describe('sub-counters', () => {
    it('learns the count from the main counter on a cold call, and aims the next calls in turn', async () => {
      const w = world();
      w.store.bind(credential, quota(8, 4, { anchorMs: T0 }));
      expect((await call(w)).sent).toEqual(['consumeInWindow', 'openWindow']);
      expect(w.deps.subcounters.get(credential.projectId, credential.instanceId, credential.appKey)).toBe(4);
      // Round robin from 0: 0 again (now known), then 1, 2, 3, each opening its own anchored window.
      for (const index of [0, 1, 2, 3]) {
        const { outcome, sent } = await call(w);
        expect(sent).toEqual(index === 0 ? ['consumeInWindow'] : ['consumeInWindow', 'openWindow']);
        expect(outcome.quota).toMatchObject({ limit: 8, windowStart: T0, windowEnd: T0 + HOUR });
      }
      expect([0, 1, 2, 3].map((index) => w.store.counter(credential, index)?.remaining)).toEqual([0, 1, 1, 1]);
    });

    it('opens an anchored window on a sub-counter without reading the main one', async () => {
      const w = warm(4, 0.5);
      w.store.bind(credential, quota(8, 4, { anchorMs: T0 - HOUR / 2 }));
      const { outcome, sent } = await call(w);
      expect(sent).toEqual(['consumeInWindow', 'openWindow']);
      expect(outcome.quota).toMatchObject({ remaining: 1, windowStart: T0 - HOUR / 2, windowEnd: T0 + HOUR / 2 });
      expect(w.store.counter(credential, 2)).toMatchObject({ window_end_ms: T0 + HOUR / 2, remaining: 1 });
      expect(w.store.counter(credential, 0)).not.toHaveProperty('window_end_ms');
    });

    it("opens an unanchored window on a sub-counter at the end of the main counter's open window", async () => {
      const w = world();
      w.store.bind(credential, quota(8, 4));
      await openAtT0(w);
      w.clock.advance(10 * 60_000);
      // The main counter once more (the round robin starts at 0), then sub-counter 1.
      expect((await call(w)).sent).toEqual(['consumeInWindow']);
      const { outcome, sent } = await call(w);
      expect(sent).toEqual(['consumeInWindow', 'getCounter', 'openWindow']);
      expect(outcome.quota).toMatchObject({ remaining: 1, windowStart: T0, windowEnd: T0 + HOUR });
      expect(w.store.counter(credential, 1)).toMatchObject({ window_end_ms: T0 + HOUR });
    });

    it('sends a call to the main counter when the main has no open window, and opens it there', async () => {
      const w = warm(4, 0.5);
      w.store.bind(credential, quota(8, 4));
      const { outcome, sent } = await call(w);
      expect(sent).toEqual(['consumeInWindow', 'getCounter', 'consumeInWindow', 'openWindow']);
      expect(outcome.quota).toMatchObject({ remaining: 1, windowStart: T0, windowEnd: T0 + HOUR });
      expect(w.store.counter(credential, 0)).toMatchObject({ window_end_ms: T0 + HOUR });
      expect(w.store.counter(credential, 2)).not.toHaveProperty('window_end_ms');
    });

    it("sends a call to the main counter when the main counter's window has ended, and reopens it there", async () => {
      const w = warm(4, 0.5);
      w.store.bind(credential, quota(8, 4));
      w.store.patch(credential, 0, { window_end_ms: T0 - 1, remaining: 0 });
      const { outcome, sent } = await call(w);
      expect(sent).toEqual(['consumeInWindow', 'getCounter', 'consumeInWindow', 'openWindow']);
      expect(outcome.quota).toMatchObject({ remaining: 1, windowStart: T0, windowEnd: T0 + HOUR });
    });

    it.each([
      ['a settings change', { config_version: 2 }],
      ['a binding to another quota', { quota_id: 'quota-2' }],
    ])(
      "takes no window of the main counter's opened after %s: the call goes to the main counter",
      async (_, change) => {
        const w = warm(4, 0.5);
        w.store.bind(credential, quota(8, 4));
        // The change lands between this call's read of sub-counter 2 and its read of the main
        // counter, and another call opens the main counter's window under it.
        w.store.before('getCounter', () => {
          for (let index = 0; index < 4; index += 1) w.store.patch(credential, index, change);
          w.store.patch(credential, 0, { window_end_ms: T0 + HOUR, remaining: 1 });
        });
        const { outcome, sent } = await call(w);
        expect(sent).toEqual(['consumeInWindow', 'getCounter', 'consumeInWindow']);
        expect(outcome).toMatchObject({ admitted: true, quota: { remaining: 0 } });
        expect(w.store.counter(credential, 2)).not.toHaveProperty('window_end_ms');
      },
    );

    it('passes a call on from a sub-counter short of units to the next', async () => {
      const w = world();
      w.store.bind(credential, quota(8, 4, { anchorMs: T0 }));
      for (let index = 0; index < 4; index += 1)
        w.store.patch(credential, index, { window_end_ms: T0 + HOUR, remaining: index === 0 ? 0 : 2 });
      const { outcome, sent } = await call(w);
      expect(sent).toEqual(['consumeInWindow', 'consumeInWindow']);
      expect(outcome).toMatchObject({ admitted: true, quota: { remaining: 1 } });
      expect(w.store.counter(credential, 1)).toMatchObject({ remaining: 1 });
    });

    it('refuses when every sub-counter is short, showing the last one asked', async () => {
      const w = warm(4, 0.25);
      // Shares of 3: a cost of 3 fits each sub-counter's share, and none has 3 left.
      w.store.bind(credential, quota(12, 4, { anchorMs: T0 }));
      for (let index = 0; index < 4; index += 1)
        w.store.patch(credential, index, { window_end_ms: T0 + HOUR, remaining: [2, 0, 1, 2][index] as number });
      const { outcome, sent } = await call(w, 3);
      // 1, 2, 3, 0: each asked once, then the quota's state.
      expect(sent).toEqual([
        'consumeInWindow',
        'consumeInWindow',
        'consumeInWindow',
        'consumeInWindow',
        'getQuotaState',
      ]);
      expect(outcome).toMatchObject({ admitted: false, quota: { remaining: 2, windowEnd: T0 + HOUR } });
    });

    it('passes a call on from a throttled sub-counter', async () => {
      const w = warm(4);
      w.store.bind(credential, quota(8, 4, { anchorMs: T0 }));
      w.store.throttle(0);
      const { outcome, sent } = await call(w);
      expect(sent).toEqual(['consumeInWindow', 'consumeInWindow', 'openWindow']);
      expect(outcome.admitted).toBe(true);
      expect(w.store.counter(credential, 1)).toMatchObject({ remaining: 1 });
    });

    it('throws the throttling when every sub-counter is throttled', async () => {
      const w = warm(4);
      w.store.bind(credential, quota(8, 4, { anchorMs: T0 }));
      let last: unknown;
      for (let index = 0; index < 4; index += 1) last = w.store.throttle(index);
      w.store.reset();
      expect(await thrownBy(consume(w.deps, { ...credential, cost: 1 }))).toBe(last);
      expect(w.store.sent).toEqual(['consumeInWindow', 'consumeInWindow', 'consumeInWindow', 'consumeInWindow']);
    });

    it('refuses when some sub-counters are short and the others throttled', async () => {
      const w = warm(4);
      w.store.bind(credential, quota(8, 4, { anchorMs: T0 }));
      w.store.patch(credential, 2, { window_end_ms: T0 + HOUR, remaining: 0 });
      for (const index of [0, 1, 3]) w.store.throttle(index);
      const { outcome, sent } = await call(w);
      expect(outcome).toMatchObject({ admitted: false, quota: { remaining: 0 } });
      expect(sent).toEqual([
        'consumeInWindow',
        'consumeInWindow',
        'consumeInWindow',
        'consumeInWindow',
        'getQuotaState',
      ]);
    });

    it('throws the throttling of a single counter at once', async () => {
      const w = world();
      w.store.bind(credential, quota(8));
      const error = w.store.throttle(0);
      w.store.reset();
      expect(await thrownBy(consume(w.deps, { ...credential, cost: 1 }))).toBe(error);
      expect(w.store.sent).toEqual(['consumeInWindow']);
    });

    it('goes back to the main counter when a sub-counter is missing (the credential has fewer now), and learns the count', async () => {
      const w = warm(4, 0.75);
      w.store.bind(credential, quota(8, 2));
      const { outcome, sent } = await call(w);
      expect(sent).toEqual(['consumeInWindow', 'consumeInWindow', 'openWindow']);
      expect(outcome).toMatchObject({ admitted: true, quota: { remaining: 3 } });
      expect(w.deps.subcounters.get(credential.projectId, credential.instanceId, credential.appKey)).toBe(2);
    });

    it('takes the count of a leftover sub-counter that is unbound (1) and answers unbound', async () => {
      const w = warm(4, 0.5);
      w.store.put({ ...leftover(2), type: 'counter', app_id: APP, subcounter: 2 });
      const { outcome, sent } = await call(w);
      expect(sent).toEqual(['consumeInWindow']);
      expect(outcome).toEqual({ admitted: true, appId: APP, quota: undefined, now: T0 });
      expect(w.deps.subcounters.get(credential.projectId, credential.instanceId, credential.appKey)).toBe(1);
    });

    it('asks the main counter when a leftover sub-counter within the count is unbound', async () => {
      const w = warm(4, 0.5);
      w.store.put({ ...leftover(2), type: 'counter', app_id: APP, subcounter: 2, subcounters: 4 });
      const { outcome, sent } = await call(w);
      expect(sent).toEqual(['consumeInWindow', 'consumeInWindow']);
      expect(outcome).toEqual({ admitted: true, appId: APP, quota: undefined, now: T0 });
    });
  });

  describe('a cost above the largest share, while no unanchored window is open', () => {
    const LIMIT = 18;
    const largestShare = (subcounters: number) => Math.ceil(LIMIT / subcounters);

    describe.each([2, 4, 16])('over %i sub-counters', (subcounters) => {
      const cost = largestShare(subcounters) + 1;
      const refusal = {
        admitted: false,
        appId: APP,
        quota: {
          quotaId: 'quota-1',
          limit: LIMIT,
          remaining: 0,
          windowStart: T0,
          windowEnd: T0 + HOUR,
          configVersion: 1,
        },
        now: T0,
      };

      it('is refused on a cold call, in 3 requests, with the window it would have opened, and opens none', async () => {
        const w = world();
        w.store.bind(credential, quota(LIMIT, subcounters));
        expect(await call(w, cost)).toEqual({
          outcome: refusal,
          sent: ['consumeInWindow', 'openWindow', 'getQuotaState'],
        });
        // The same call again: the same answer, the quota's state now known.
        expect(await call(w, cost)).toEqual({ outcome: refusal, sent: ['consumeInWindow', 'openWindow'] });
        for (let index = 0; index < subcounters; index += 1)
          expect(w.store.counter(credential, index)).not.toHaveProperty('window_end_ms');
      });

      it('is refused when the call begins on another sub-counter, in 5 requests', async () => {
        const w = warm(subcounters, 0.99);
        w.store.bind(credential, quota(LIMIT, subcounters));
        const { outcome, sent } = await call(w, cost);
        expect(outcome).toEqual(refusal);
        expect(sent).toEqual(['consumeInWindow', 'getCounter', 'consumeInWindow', 'openWindow', 'getQuotaState']);
      });

      it('leaves a cost at the largest share admitted, and so a cost of 1 after the refusal', async () => {
        const w = warm(subcounters, 0.99);
        w.store.bind(credential, quota(LIMIT, subcounters));
        expect((await call(w, cost)).outcome.admitted).toBe(false);
        const atShare = await call(w, largestShare(subcounters));
        expect(atShare.outcome).toMatchObject({ admitted: true, quota: { remaining: 0, windowEnd: T0 + HOUR } });
        expect((await call(w, 1)).outcome).toMatchObject({ admitted: true, quota: { windowEnd: T0 + HOUR } });
      });
    });

    it('is refused at the first sub-counter once the window is open too, without asking every one', async () => {
      const w = warm(4);
      w.store.bind(credential, quota(LIMIT, 4));
      await openAtT0(w);
      const { outcome, sent } = await call(w, largestShare(4) + 1);
      expect(outcome).toMatchObject({ admitted: false, quota: { remaining: 0, windowEnd: T0 + HOUR } });
      expect(sent).toEqual(['consumeInWindow', 'getCounter', 'openWindow', 'getQuotaState']);
    });

    it('passes a cost at the largest share on from a smaller share to a larger one', async () => {
      // 18 over 4: shares 5, 5, 4, 4. The first call opens the window on the main counter (4 left
      // there); then sub-counter 3 cannot take 5 (its share is 4), the main counter has 4 left, and
      // sub-counter 1 (share 5) takes it.
      const w = warm(4, 0.5);
      w.store.bind(credential, quota(LIMIT, 4));
      await call(w, 1);
      const { outcome, sent } = await call(w, 5);
      expect(outcome).toMatchObject({ admitted: true, quota: { remaining: 0 } });
      expect(sent).toEqual([
        'consumeInWindow',
        'getCounter',
        'openWindow',
        'consumeInWindow',
        'consumeInWindow',
        'getCounter',
        'openWindow',
      ]);
    });

    it("throws the main counter's throttling when the window can open only there, whichever sub-counter the call began on", async () => {
      const w = warm(4, 0.5);
      w.store.bind(credential, quota(LIMIT, 4));
      const error = w.store.throttle(0);
      expect(await thrownBy(consume(w.deps, { ...credential, cost: 1 }))).toBe(error);
      // Sub-counter 2 sends the call to the main one (throttled); then 1, 2 and 3 each find the main
      // counter without a window and pass the call on: 2 requests per sub-counter, 1 for the main one.
      expect(w.store.count()).toBeLessThanOrEqual(2 * 4 + 1);
    });
  });

  describe('keys and apps', () => {
    it('answers 404 APIG.3004 for a key of no app', async () => {
      const w = world();
      const other = { ...credential, appKey: 'key-2' };
      w.store.reset();
      const error = await thrownBy(consume(w.deps, { ...other, cost: 1 }));
      expect(error).toMatchObject({ status: 404, code: 'APIG.3004' });
      expect(w.store.sent).toEqual(['consumeInWindow', 'findAppIdByKey', 'getInstance']);
    });

    it('answers 404 APIG.3030 for an instance that does not exist', async () => {
      const w = world();
      w.store.reset();
      const error = await thrownBy(consume(w.deps, { ...credential, instanceId: 'instance-2', cost: 1 }));
      expect(error).toMatchObject({ status: 404, code: 'APIG.3030' });
    });

    it('moves an app of the layout before counters on its first touch, then consumes', async () => {
      const w = world();
      const legacy = { ...credential, appKey: 'key-old' };
      w.store.addLegacyApp(legacy, 'app-old', quota(5));
      w.store.reset();
      const outcome = await consume(w.deps, { ...legacy, cost: 2 });
      expect(outcome).toMatchObject({ admitted: true, appId: 'app-old', quota: { limit: 5, remaining: 3 } });
      expect(w.store.sent).toEqual([
        'consumeInWindow',
        'findAppIdByKey',
        'migrateAppById',
        'consumeInWindow',
        'openWindow',
      ]);
      w.store.reset();
      expect((await consume(w.deps, { ...legacy, cost: 1 })).admitted).toBe(true);
      expect(w.store.sent).toEqual(['consumeInWindow']);
    });

    it('moves an app only once per call: a key whose app still has no counter after it is unknown', async () => {
      const w = world();
      const going = { ...credential, appKey: 'key-going' };
      w.store.addClaimOnly(going, 'app-going');
      w.store.reset();
      const error = await thrownBy(consume(w.deps, { ...going, cost: 1 }));
      expect(error).toMatchObject({ status: 404, code: 'APIG.3004' });
      expect(w.store.sent).toEqual([
        'consumeInWindow',
        'findAppIdByKey',
        'migrateAppById',
        'consumeInWindow',
        'findAppIdByKey',
        'getInstance',
      ]);
    });
  });

  describe('a quota being deleted', () => {
    it('lets a call its refusal would stop through as unbound, and remembers the quota is going', async () => {
      const w = world();
      w.store.bind(credential, quota(1));
      await openAtT0(w);
      w.store.markDeleting('quota-1');
      const first = await call(w);
      expect(first.outcome).toEqual({ admitted: true, appId: APP, quota: undefined, now: T0 });
      // Refused, the quota read (deleting), the counter asked once more (still naming it): admitted.
      expect(first.sent).toEqual(['consumeInWindow', 'getQuotaState', 'consumeInWindow']);
      w.clock.advance(HOUR / 2);
      const next = await call(w);
      expect(next.outcome).toMatchObject({ admitted: true, quota: undefined });
      expect(next.sent).toEqual(['consumeInWindow', 'consumeInWindow']);
    });

    it('counts the call when the counter, asked once more, has been unbound meanwhile', async () => {
      const w = world();
      w.store.bind(credential, quota(1));
      await openAtT0(w);
      w.store.markDeleting('quota-1');
      // The delete's unbinding reaches the counter just after the quota was read.
      w.store.before('getQuotaState', () =>
        w.store.put({ ...(w.store.counter(credential) as object), quota_id: undefined } as never),
      );
      const { outcome, sent } = await call(w);
      expect(outcome).toEqual({ admitted: true, appId: APP, quota: undefined, now: T0 });
      expect(sent).toEqual(['consumeInWindow', 'getQuotaState', 'consumeInWindow']);
    });
  });
});
