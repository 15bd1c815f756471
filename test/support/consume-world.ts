import type { ConsumeDeps } from '#use-cases/consume/consume.ts';
import { QuotaStateCache } from '#use-cases/consume/quota-state-cache.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import { type ManualClock, manualClock } from './clocks.ts';
import { FakeConsumeStore, type FakeQuota } from './fake-consume-store.ts';

/** The clock's start in the consume unit tests. */
export const T0 = Date.parse('2026-11-23T07:00:00.000Z');
/** One hour in milliseconds: the window of {@link fakeQuota}. */
export const HOUR = 3_600_000;
/** The credential the consume unit tests call with: app-1's key. */
export const CREDENTIAL = { projectId: 'project-1', instanceId: 'instance-1', appKey: 'key-1' } as const;
/** The app that holds {@link CREDENTIAL}. */
export const APP = 'app-1';

/** A quota of `callLimits` per hour over `subcounters` sub-counters (unanchored unless `extra` says). */
export const fakeQuota = (callLimits: number, subcounters = 1, extra: Partial<FakeQuota> = {}): FakeQuota => ({
  quotaId: 'quota-1',
  callLimits,
  subcounters,
  windowMs: HOUR,
  ...extra,
});

/** A fake table, a clock and one container's dependencies over them. */
export interface ConsumeWorld {
  readonly store: FakeConsumeStore;
  readonly clock: ManualClock;
  readonly deps: ConsumeDeps;
}

/**
 * One container (caches of its own) over `store` (a fake table holding instance-1 and app-1 unless
 * it already does) and a clock at T0: `start` in [0, 1) picks where the credential's round robin
 * starts; `extra` adds or replaces dependencies (refusal memory, re-check interval).
 */
export const consumeWorld = ({
  start = 0,
  store = new FakeConsumeStore(),
  clock = manualClock(T0),
  ...extra
}: Partial<ConsumeDeps> & {
  readonly start?: number;
  readonly store?: FakeConsumeStore;
  readonly clock?: ManualClock;
} = {}): ConsumeWorld => {
  if (!store.counter(CREDENTIAL)) {
    store.addInstance(CREDENTIAL.projectId, CREDENTIAL.instanceId);
    store.addApp(CREDENTIAL, APP);
  }
  const deps: ConsumeDeps = {
    store,
    clock,
    subcounters: new SubcounterCache(100, () => start),
    quotaStates: new QuotaStateCache(),
    ...extra,
  };
  return { store, clock, deps };
};
