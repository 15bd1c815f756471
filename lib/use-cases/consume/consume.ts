import { randomUUID } from 'node:crypto';
import { instanceNotFound, unknownAppKey } from '#domain/errors.ts';
import type { Clock } from '#domain/time.ts';
import { type Window, windowAt } from '#domain/window.ts';
import type { ConsumeStore } from '#store/data-plane/consume-store.ts';
import type { CounterItem, Credential } from '#store/items/counter-item.ts';
import type { QuotaStateCache } from './quota-state-cache.ts';
import type { SubcounterCache } from './subcounter-cache.ts';

/** What consume works with: the whole service's `Deps` have it, and so does the packaged guard's. */
export interface ConsumeDeps {
  readonly store: ConsumeStore;
  readonly clock: Clock;
  /** Sub-counters per credential, per container: where a warm consume aims its one request. */
  readonly subcounters: SubcounterCache;
  /** Per container: the quotas refused consumes found marked deleting, or live a moment ago. */
  readonly quotaStates: QuotaStateCache;
}

/** What a consume asks. */
export interface ConsumeInput {
  readonly projectId: string;
  readonly instanceId: string;
  readonly appKey: string;
  readonly cost: number;
}

/** The quota a consume was measured against, and where its window stands after it. */
export interface QuotaState {
  readonly quotaId: string;
  readonly limit: number;
  /**
   * Units left after this call (never below 0 as shown): with one counter, the credential's; with
   * sub-counters, those of the sub-counter that decided, a lower bound of the credential's.
   */
  readonly remaining: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** The settings version of the quota the counter had copied: a lease is tied to it. */
  readonly configVersion: number | undefined;
}

/** A consume's answer: admitted or refused, and the quota that decided it (none when unbound). */
export interface ConsumeOutcome {
  readonly admitted: boolean;
  readonly appId: string;
  readonly quota: QuotaState | undefined;
  /** The clock's reading the decision was made at. */
  readonly now: number;
}

/** How often a consume reads the situation again when a concurrent change overtook it. */
const ATTEMPTS = 10;

// A transaction holding the item lasts milliseconds: a short jittered pause lets it finish.
const pause = (attempt: number) => new Promise((done) => setTimeout(done, Math.random() * 2 * attempt));

/** 404 for a key that names no app: `APIG.3030` when the instance itself is missing, else `APIG.3004`. */
const unknownKeyError = async ({ store }: ConsumeDeps, projectId: string, instanceId: string) =>
  (await store.getInstance(projectId, instanceId)) ? unknownAppKey() : instanceNotFound(instanceId);

const stateOf = (item: CounterItem, window: Window, remaining = item.remaining ?? 0): QuotaState => ({
  quotaId: item.quota_id as string,
  limit: item.call_limits ?? (item.limit_units as number),
  remaining: Math.max(0, remaining),
  windowStart: window.start,
  windowEnd: window.end,
  configVersion: item.config_version,
});

const openWindowOf = (item: CounterItem): Window => ({
  start: (item.window_end_ms as number) - (item.window_ms as number),
  end: item.window_end_ms as number,
});

/**
 * Consume. Primary course, in the steady state ONE DynamoDB request, warm or cold: a conditional
 * update that takes `cost` units from the open window of the credential's counter, addressed by
 * the project, instance and app key the call carries (no lookup). With sub-counters it aims at
 * one in turn, and a sub-counter (or one throttled past the SDK's retries) with fewer than `cost` units left sends the call on to the
 * next, until each has been asked. Otherwise the refused update's old item says why: unbound
 * (admitted, no quota applies), no open window (open the current one with this call counted: a
 * second request), too few units left (refused, using nothing), no counter (an unknown key, or an
 * app of the layout before counters, moved on this first touch). Exact under any concurrency:
 * DynamoDB's condition on each counter decides every admission, and the sub-counters' shares add
 * up to the limit.
 *
 * A refusal by a quota whose delete has begun is not one: such a quota is gone for every reader,
 * and only its delete's unbinding (which the sweep finishes) has not reached the credential yet.
 * So a refusal costs one small read of the quota (cached per container: for good once it is seen
 * deleting, a second when live), and a quota seen deleting lets the call through as unbound. The
 * admitted path is untouched: still one request.
 */
export const consume = async (deps: ConsumeDeps, input: ConsumeInput): Promise<ConsumeOutcome> => {
  const { store, clock, subcounters } = deps;
  const { projectId, instanceId, appKey, cost } = input;
  const requestId = randomUUID();
  let count = subcounters.get(projectId, instanceId, appKey);
  let index = subcounters.pick(projectId, instanceId, appKey, count);
  // The sub-counters that could not take the call: too few units left in the open window, or throttled.
  let passed = new Set<number>();
  let lastShort: { item: CounterItem; window: Window } | undefined;
  let throttled: unknown;
  let moved = false;
  // A quota seen marked deleting during this call, whose refusals no longer count.
  let deleted: string | undefined;
  const learn = (item: CounterItem) => {
    const actual = item.subcounters ?? 1;
    if (actual === count) return;
    count = actual;
    passed = new Set();
    subcounters.set(projectId, instanceId, appKey, count);
    if (index >= count) index = 0;
  };
  const passOn = () => {
    passed.add(index);
    while (passed.size < count && passed.has(index)) index = (index + 1) % count;
  };
  for (let attempt = 1; attempt <= ATTEMPTS + 3 * count; attempt += 1) {
    if (passed.size >= count) {
      // Every sub-counter asked: refused when one at least was short, else the throttling is the answer.
      if (!lastShort) throw throttled;
      const { item, window } = lastShort;
      const quotaId = item.quota_id as string;
      // Refused after its quota was seen marked deleting: the quota no longer applies (see below).
      if (quotaId === deleted)
        return { admitted: true, appId: item.app_id, quota: undefined, now: clock.now().getTime() };
      if ((await quotaStateOf(deps, input, quotaId)) === 'deleting') {
        // Ask once more: a counter that still names the quota after it was seen deleting is one
        // its delete has not unbound yet (removal waits for that), so its refusal is the ghost's.
        deleted = quotaId;
        passed = new Set();
        lastShort = undefined;
        continue;
      }
      return { admitted: false, appId: item.app_id, quota: stateOf(item, window), now: clock.now().getTime() };
    }
    const now = clock.now().getTime();
    const found = await store.consumeInWindow(input, index, cost, now, requestId);
    if ('item' in found) learn(found.item);
    switch (found.kind) {
      case 'admitted':
        return { admitted: true, appId: found.item.app_id, quota: stateOf(found.item, openWindowOf(found.item)), now };
      case 'unbound':
        if (index !== 0) {
          index = 0;
          continue;
        }
        return { admitted: true, appId: found.item.app_id, quota: undefined, now };
      case 'refused':
        lastShort = { item: found.item, window: openWindowOf(found.item) };
        passOn();
        continue;
      case 'throttled':
        if (count === 1) throw found.error;
        throttled = found.error;
        passOn();
        continue;
      case 'missing': {
        if (index !== 0) {
          // A sub-counter that is not there: the credential has fewer now; the main one says how many.
          subcounters.delete(projectId, instanceId, appKey);
          index = 0;
          continue;
        }
        const appId = await store.findAppIdByKey(projectId, instanceId, appKey);
        if (appId === undefined || moved) throw await unknownKeyError(deps, projectId, instanceId);
        await store.migrateAppById(projectId, instanceId, appId);
        moved = true;
        continue;
      }
      case 'again':
        await pause(attempt);
        continue;
      case 'no-window': {
        const window = await windowToOpen(deps, found.item, index, now, input);
        if (!window) {
          // The credential's window opens on its main counter first; this call opens it.
          index = 0;
          continue;
        }
        const opened = await store.openWindow(found.item, window, cost, requestId);
        if (opened.kind === 'admitted')
          return { admitted: true, appId: opened.item.app_id, quota: stateOf(opened.item, window), now };
        if (opened.kind === 'overtaken') await pause(attempt);
        if (opened.kind === 'refused') {
          lastShort = { item: opened.item, window };
          passOn();
        }
      }
    }
  }
  throw new Error(`consume for an app of instance ${instanceId} overtaken ${ATTEMPTS} times`);
};

/** Whether the quota that refused a call is marked deleting, from the container's cache or one read. */
const quotaStateOf = async (
  { store, clock, quotaStates }: ConsumeDeps,
  { projectId, instanceId }: ConsumeInput,
  quotaId: string,
): Promise<'live' | 'deleting' | 'missing'> => {
  const nowMs = clock.now().getTime();
  const known = quotaStates.get(projectId, instanceId, quotaId, nowMs);
  if (known) return known;
  const state = await store.getQuotaState(projectId, instanceId, quotaId);
  if (state !== 'missing') quotaStates.set(projectId, instanceId, quotaId, state, nowMs);
  return state;
};

/**
 * The window a counter with none open opens now. Anchored windows are the same for every
 * sub-counter. Unanchored ones open at the credential's first counted call, on its main counter:
 * another sub-counter takes the main counter's open window (one more read), or, when it has none,
 * none (the call goes to the main counter, which opens it). So every sub-counter counts in the
 * credential's one window, and their shares add up to the limit in it.
 */
const windowToOpen = async (
  { store }: ConsumeDeps,
  item: CounterItem,
  index: number,
  now: number,
  credential: Credential,
): Promise<Window | undefined> => {
  const length = item.window_ms as number;
  if (index === 0 || item.anchor_ms !== undefined) return windowAt(now, length, item.anchor_ms);
  const main = await store.getCounter(credential);
  const open =
    main?.quota_id === item.quota_id &&
    main?.config_version === item.config_version &&
    main?.window_end_ms !== undefined &&
    main.window_end_ms > now;
  return open ? { start: (main.window_end_ms as number) - length, end: main.window_end_ms as number } : undefined;
};
