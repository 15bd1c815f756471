import { randomUUID } from 'node:crypto';
import { instanceNotFound, unknownAppKey } from '#domain/errors.ts';
import { OVERTAKEN } from '#domain/overtaken.ts';
import { subcounterShare } from '#domain/subcounters.ts';
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

/**
 * Attempts a call may make: {@link ATTEMPTS} for concurrent changes, and 3 more per sub-counter it
 * may have to ask (its update, a read of the main counter, the update opening its window).
 */
const attemptLimit = (call: Call): number => ATTEMPTS + 3 * call.count;

/** Overtaken by a concurrent change: read the situation again after a pause. */
const pauseAfter = async (call: Call): Promise<undefined> => {
  // A transaction holding the item lasts milliseconds: a short jittered pause lets it finish.
  await new Promise((done) => setTimeout(done, Math.random() * 2 * call.attempt));
  return undefined;
};

/** A sub-counter's refusal: its item as it was, and the window it refused in (or would have opened). */
interface Short {
  readonly item: CounterItem;
  readonly window: Window;
}

/** One consume call as it goes: where it aims, and what the sub-counters it asked have said. */
interface Call {
  readonly deps: ConsumeDeps;
  readonly input: ConsumeInput;
  /** Written with the units, so that an SDK retry of a write that landed is not counted twice. */
  readonly requestId: string;
  /** The attempt under way, from 1. */
  attempt: number;
  /** How many sub-counters the credential has, as far as this call knows. */
  count: number;
  /** The sub-counter the next attempt asks. */
  index: number;
  /** The sub-counters that could not take the call: too few units left in the window, or throttled. */
  readonly passed: Set<number>;
  /** The last refusal for too few units: the answer once every sub-counter was asked. */
  short: Short | undefined;
  /** The last throttling: the answer when every sub-counter was asked and none was short. */
  throttled: unknown;
  /** The main counter was throttled: an unanchored window, which opens there only, cannot open for this call. */
  mainThrottled: boolean;
  /** An app of the layout before counters was moved by this call (once is enough). */
  moved: boolean;
  /** A quota this call saw marked deleting, whose refusals no longer count. */
  deleted: string | undefined;
}

/**
 * Consume. Primary course, in the steady state ONE DynamoDB request, warm or cold: a conditional
 * update that takes `cost` units from the open window of the credential's counter, addressed by
 * the project, instance and app key the call carries (no lookup). With sub-counters it aims at
 * one in turn, and a sub-counter with fewer than `cost` units left (or throttled past the SDK's
 * retries) passes the call on to the next, until each has been asked (a cost above the largest
 * share, which none can take, is refused at the first refusal). Otherwise the refused
 * update's old item says why: unbound (admitted, no quota applies), no open window (open the
 * current one with this call counted: a second request), too few units left (refused, using
 * nothing), no counter (an unknown key, or an app of the layout before counters, moved on this
 * first touch). Exact under any concurrency: DynamoDB's condition on each counter decides every
 * admission, and the sub-counters' shares add up to the limit.
 *
 * A refusal by a quota whose delete has begun is not one: such a quota is gone for every reader,
 * and only its delete's unbinding (which the sweep finishes) has not reached the credential yet.
 * So a refusal costs one small read of the quota (cached per container: for good once it is seen
 * deleting, a second when live), and a quota seen deleting lets the call through as unbound. The
 * admitted path is untouched: still one request.
 */
export const consume = async (deps: ConsumeDeps, input: ConsumeInput): Promise<ConsumeOutcome> => {
  const call = startCall(deps, input);
  for (; call.attempt <= attemptLimit(call); call.attempt += 1) {
    const outcome = (await attempt(call)) ?? (nothingLeftToAsk(call) ? await decide(call) : undefined);
    if (outcome) return outcome;
  }
  throw new Error(`consume for an app of instance ${input.instanceId} undecided after ${call.attempt - 1} attempts`);
};

const startCall = (deps: ConsumeDeps, input: ConsumeInput): Call => {
  const { projectId, instanceId, appKey } = input;
  const count = deps.subcounters.get(projectId, instanceId, appKey);
  return {
    deps,
    input,
    requestId: randomUUID(),
    attempt: 1,
    count,
    index: deps.subcounters.pick(projectId, instanceId, appKey, count),
    passed: new Set(),
    short: undefined,
    throttled: undefined,
    mainThrottled: false,
    moved: false,
    deleted: undefined,
  };
};

/** One conditional update of the sub-counter the call aims at, and what its answer leads to. */
const attempt = async (call: Call): Promise<ConsumeOutcome | undefined> => {
  const { deps, input, index, requestId } = call;
  const now = deps.clock.now().getTime();
  const found = await deps.store.consumeInWindow(input, index, input.cost, now, requestId);
  if ('item' in found) learnCount(call, found.item);
  switch (found.kind) {
    case 'admitted':
      return admitted(found.item, openWindowOf(found.item), now);
    case 'unbound':
      return call.index === 0 ? unbound(found.item, now) : toMainCounter(call);
    case 'refused':
      return passOn(call, { item: found.item, window: openWindowOf(found.item) });
    case 'throttled':
      // A single counter has no other to pass the call on to.
      if (call.count === 1) throw found.error;
      call.throttled = found.error;
      if (call.index === 0) call.mainThrottled = true;
      return passOn(call);
    case 'missing':
      return counterMissing(call);
    case OVERTAKEN:
      return pauseAfter(call);
    case 'no-window':
      return openCurrentWindow(call, found.item, now);
  }
};

/** Every counter carries the credential's count: a call that meets another learns it, for itself and its container. */
const learnCount = (call: Call, item: CounterItem): void => {
  const actual = item.subcounters ?? 1;
  if (actual === call.count) return;
  call.count = actual;
  call.passed.clear();
  const { projectId, instanceId, appKey } = call.input;
  call.deps.subcounters.set(projectId, instanceId, appKey, actual);
  if (call.index >= actual) call.index = 0;
};

const toMainCounter = (call: Call): undefined => {
  call.index = 0;
  return undefined;
};

/** The sub-counter asked cannot take the call (`short` of units, or throttled): aim at the next one not asked. */
const passOn = (call: Call, short?: Short): undefined => {
  if (short) call.short = short;
  call.passed.add(call.index);
  while (call.passed.size < call.count && call.passed.has(call.index)) call.index = (call.index + 1) % call.count;
  return undefined;
};

/**
 * Whether the call is decided: every sub-counter was asked, or one refused a cost above the largest
 * share `ceil(L/N)` (the main counter's), which no sub-counter can take in any window. Asking on
 * would cost a write per sub-counter, and while no unanchored window is open it would never end:
 * the main counter does not open the window for a call it refuses, and the others send the call
 * back to it.
 */
const nothingLeftToAsk = (call: Call): boolean =>
  call.passed.size >= call.count || (call.short !== undefined && call.input.cost > largestShare(call.short.item));

const largestShare = (item: CounterItem): number =>
  subcounterShare(item.call_limits ?? (item.limit_units as number), item.subcounters ?? 1, 0);

/**
 * Every sub-counter was asked (or need not be) and none took the call: refused when one at least
 * was short, else the throttling is the answer; a refusal by a quota marked deleting is not one
 * (see `consume`).
 */
const decide = async (call: Call): Promise<ConsumeOutcome | undefined> => {
  if (!call.short) throw call.throttled;
  const { item, window } = call.short;
  const now = call.deps.clock.now().getTime();
  const quotaId = item.quota_id as string;
  if (quotaId === call.deleted) return unbound(item, now);
  if ((await quotaStateOf(call.deps, call.input, quotaId)) === 'deleting') return askAgainWithout(call, quotaId);
  return { admitted: false, appId: item.app_id, quota: stateOf(item, window), now };
};

/**
 * Asks every sub-counter once more after the quota that refused was seen marked deleting: a
 * counter that still names it then is one its delete has not unbound yet (removal waits for
 * that), so its refusal is the ghost's.
 */
const askAgainWithout = (call: Call, quotaId: string): undefined => {
  call.deleted = quotaId;
  call.passed.clear();
  call.short = undefined;
  call.mainThrottled = false;
  return undefined;
};

/**
 * No counter at the address: a sub-counter that is not there means the credential has fewer now
 * (the main one says how many); no main counter, an unknown key or an app of the layout before
 * counters, moved on this first touch (once).
 */
const counterMissing = async (call: Call): Promise<undefined> => {
  const { deps, input } = call;
  const { projectId, instanceId, appKey } = input;
  if (call.index !== 0) {
    deps.subcounters.delete(projectId, instanceId, appKey);
    return toMainCounter(call);
  }
  const appId = await deps.store.findAppIdByKey(projectId, instanceId, appKey);
  if (appId === undefined || call.moved) throw await unknownKeyError(deps, projectId, instanceId);
  await deps.store.migrateAppById(projectId, instanceId, appId);
  call.moved = true;
  return undefined;
};

/** No window open on the counter asked: opens the current one with this call counted in it. */
const openCurrentWindow = async (call: Call, item: CounterItem, now: number): Promise<ConsumeOutcome | undefined> => {
  const { deps, input, requestId } = call;
  const window = await windowToOpen(deps, item, call.index, now, input);
  // The credential's window opens on its main counter first: this call opens it there, unless the
  // main counter was throttled (then this one cannot take the call either).
  if (!window) return call.mainThrottled ? passOn(call) : toMainCounter(call);
  const opened = await deps.store.openWindow(item, window, input.cost, requestId);
  switch (opened.kind) {
    case 'admitted':
      return admitted(opened.item, window, now);
    case OVERTAKEN:
      return pauseAfter(call);
    case 'refused':
      return passOn(call, { item: opened.item, window });
  }
};

const admitted = (item: CounterItem, window: Window, now: number): ConsumeOutcome => ({
  admitted: true,
  appId: item.app_id,
  quota: stateOf(item, window),
  now,
});

const unbound = (item: CounterItem, now: number): ConsumeOutcome => ({
  admitted: true,
  appId: item.app_id,
  quota: undefined,
  now,
});

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
