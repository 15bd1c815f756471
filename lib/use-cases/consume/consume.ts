import { randomUUID } from 'node:crypto';
import { instanceNotFound, unknownAppKey } from '#domain/errors.ts';
import { OVERTAKEN } from '#domain/overtaken.ts';
import { DEFAULT_REFUSAL_RECHECK_MS } from '#domain/refusals.ts';
import { subcounterShare } from '#domain/subcounters.ts';
import type { Clock } from '#domain/time.ts';
import { type Window, windowAt } from '#domain/window.ts';
import type { ConsumeStore } from '#store/data-plane/consume-store.ts';
import type { CounterItem, Credential } from '#store/items/counter-item.ts';
import { KnownWindows } from './known-windows.ts';
import type { QuotaStateCache } from './quota-state-cache.ts';
import { RefusalMemory, type SeenRefusal, WindowOpenings } from './refusal-memory.ts';
import type { SubcounterCache } from './subcounter-cache.ts';

/** What consume works with: the whole service's `Deps` have it, and so does the packaged guard's. */
export interface ConsumeDeps {
  readonly store: ConsumeStore;
  readonly clock: Clock;
  /** Sub-counters per credential, per container: where a warm consume aims its one request. */
  readonly subcounters: SubcounterCache;
  /** Per container: the quotas refused consumes found marked deleting, or live a moment ago. */
  readonly quotaStates: QuotaStateCache;
  /**
   * D, in ms: refusals a container has seen DynamoDB make are answered from its memory, and asked
   * again with one real attempt at most every D; so a settings change reaches refusals within D
   * (admissions never come from memory). 0: every call asks DynamoDB. Checked by the builders
   * (`checkRefusalRecheckMs`: 0 to 5,000). @default 1000 ({@link DEFAULT_REFUSAL_RECHECK_MS})
   */
  readonly refusalRecheckMs?: number | undefined;
  /**
   * Per container: the windows seen unable to take a credential's calls. @default one per
   * `subcounters` cache, the container's identity: deps built with a new one are a new container
   */
  readonly refusals?: RefusalMemory | undefined;
  /** Per container: the window openings in flight. @default one per `subcounters` cache, as `refusals` */
  readonly openings?: WindowOpenings | undefined;
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
  /** Whether `window` was open on the counter; else the counter refused to open it (a cost above its share). */
  readonly opened: boolean;
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
  /** `project/instance/app key`: the credential's name in the container's memories. */
  readonly name: string;
  /** D (see {@link ConsumeDeps.refusalRecheckMs}); 0 when refusals never come from memory. */
  readonly recheckMs: number;
  readonly refusals: RefusalMemory;
  readonly openings: WindowOpenings;
  readonly windows: KnownWindows;
  /** What the container remembered of the credential's window, while the counters asked agree with it. */
  remembered: SeenRefusal | undefined;
  /** Sub-counters the memory says cannot take this call's cost: not asked (unless the memory is found out of date). */
  readonly known: Set<number>;
  /** Sub-counters this call found short: the units each had at most, and the window's end. */
  readonly seen: Map<number, { readonly bound: number; readonly windowEnd: number }>;
  /** Openings in flight this call waited for (once each: after one that left no window open, it opens itself). */
  readonly waited: Set<Promise<unknown>>;
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
 *
 * Refusals are the cheapest answer. A container remembers, per credential and for the window,
 * how many units each sub-counter seen short had at most. A call that every sub-counter is thus
 * known unable to take is refused from that memory with NO request, showing the quota as seen;
 * one real attempt goes to DynamoDB at most every D (`refusalRecheckMs`), so a settings change
 * reaches refusals within D. A call some sub-counter may take asks only those. A credential whose
 * quota the container knows is being deleted goes through as unbound with no request, asking one
 * sub-counter at most every D (never the quota's read or a second round). Concurrent calls that
 * find the same counter with no window open wait for one opener. Admissions within a quota never
 * come from memory: each one is DynamoDB's condition.
 */
export const consume = (deps: ConsumeDeps, input: ConsumeInput): Promise<ConsumeOutcome> =>
  consumeOnce(deps, input, true);

/**
 * Where the container knows no open window of the credential (cold, or the window it knew has
 * ended), one call goes first and the concurrent ones wait for its answer, then start over (once):
 * at a window's start each would otherwise spend a write that can only fail before one opens it,
 * and on a hot key those writes starve the opening.
 */
const consumeOnce = async (deps: ConsumeDeps, input: ConsumeInput, mayWait: boolean): Promise<ConsumeOutcome> => {
  const call = startCall(deps, input);
  const remembered = fromMemory(call);
  if (remembered) return remembered;
  if (call.windows.isOpen(call.name, deps.clock.now().getTime())) return inDynamoDb(call);
  const first = call.windows.first(call.name);
  if (first && mayWait) {
    await first.catch(() => undefined);
    return consumeOnce(deps, input, false);
  }
  const outcome = inDynamoDb(call);
  if (!first) call.windows.goFirst(call.name, outcome);
  return outcome;
};

/** The attempts against DynamoDB until the call is decided; the container learns the window it was decided in. */
const inDynamoDb = async (call: Call): Promise<ConsumeOutcome> => {
  for (; call.attempt <= attemptLimit(call); call.attempt += 1) {
    const outcome = (await attempt(call)) ?? (nothingLeftToAsk(call) ? await decide(call) : undefined);
    if (outcome) {
      // Unbound: no window to open, none to wait for.
      call.windows.set(call.name, outcome.quota?.windowEnd ?? Number.POSITIVE_INFINITY);
      return outcome;
    }
  }
  throw new Error(
    `consume for an app of instance ${call.input.instanceId} undecided after ${call.attempt - 1} attempts`,
  );
};

/**
 * The memories of containers whose deps do not carry their own: one per container's sub-counter
 * cache, so that deps copied with a new cache (another container, in tests and the bench) never
 * share them.
 */
const memoriesOf = new WeakMap<SubcounterCache, Memories>();

interface Memories {
  readonly refusals: RefusalMemory;
  readonly openings: WindowOpenings;
  readonly windows: KnownWindows;
}

const memories = (deps: ConsumeDeps): Memories => {
  let own = memoriesOf.get(deps.subcounters);
  if (!own) {
    own = { refusals: new RefusalMemory(), openings: new WindowOpenings(), windows: new KnownWindows() };
    memoriesOf.set(deps.subcounters, own);
  }
  return { refusals: deps.refusals ?? own.refusals, openings: deps.openings ?? own.openings, windows: own.windows };
};

const startCall = (deps: ConsumeDeps, input: ConsumeInput): Call => {
  const { projectId, instanceId, appKey } = input;
  const count = deps.subcounters.get(projectId, instanceId, appKey);
  return {
    ...memories(deps),
    name: `${projectId}/${instanceId}/${appKey}`,
    recheckMs: deps.refusalRecheckMs ?? DEFAULT_REFUSAL_RECHECK_MS,
    remembered: undefined,
    known: new Set(),
    seen: new Map(),
    waited: new Set(),
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

/**
 * The answer from the container's memory, when it has one: refused, when every sub-counter is
 * known unable to take the cost and no real attempt is due (one is due D after the last).
 * Otherwise the call goes to DynamoDB, skipping the sub-counters known short (all but the one
 * the round robin picks, when a real attempt is due).
 */
const fromMemory = (call: Call): ConsumeOutcome | undefined => {
  if (call.recheckMs === 0) return undefined;
  const { deps, input } = call;
  const now = deps.clock.now().getTime();
  const seen = call.refusals.get(call.name, now);
  if (!seen) return undefined;
  if (seen.count !== call.count) {
    call.refusals.delete(call.name);
    return undefined;
  }
  call.remembered = seen;
  // A quota being deleted refuses nothing: the credential is unbound but for its delete's
  // unbinding, which the sweep finishes. So its calls go through as unbound from memory, with no
  // request, until D has passed since the credential was last asked; then one sub-counter is
  // asked, and its refusal, if it still names the quota, is the ghost's at once (no read, no
  // second round). A bind elsewhere thus reaches such calls within D, as a settings change
  // reaches refusals: the one admission from memory, and it counts against no quota.
  const deleting = deps.quotaStates.get(input.projectId, input.instanceId, seen.quotaId, now) === 'deleting';
  if (deleting) {
    if (now < seen.checkedAt + call.recheckMs) return { admitted: true, appId: seen.appId, quota: undefined, now };
    call.deleted = seen.quotaId;
    seen.checkedAt = now;
  }
  for (let index = 0; index < call.count; index += 1)
    if (input.cost > (seen.bounds.get(index) ?? Number.POSITIVE_INFINITY)) call.known.add(index);
  if (call.known.size === call.count) {
    if (!deleting && now < seen.checkedAt + call.recheckMs) return refusedFrom(seen, now);
    // The real attempt: the sub-counter the round robin picked is asked; the others stay known short.
    seen.checkedAt = now;
    call.known.delete(call.index);
  }
  aimPastAsked(call);
  return undefined;
};

const refusedFrom = (seen: SeenRefusal, now: number): ConsumeOutcome => ({
  admitted: false,
  appId: seen.appId,
  quota: {
    quotaId: seen.quotaId,
    limit: seen.limit,
    remaining: seen.remaining,
    windowStart: seen.window.start,
    windowEnd: seen.window.end,
    configVersion: seen.configVersion,
  },
  now,
});

/** Whether a counter agrees with what the container remembered of the credential. */
const agrees = (seen: SeenRefusal, item: CounterItem, now: number): boolean => {
  if (item.quota_id !== seen.quotaId || item.config_version !== seen.configVersion) return false;
  if ((item.subcounters ?? 1) !== seen.count) return false;
  // A counter that has not opened the window yet says nothing against it; one with another open window does.
  const open = item.window_end_ms !== undefined && item.window_end_ms > now;
  return !open || !seen.opened || item.window_end_ms === seen.window.end;
};

/** Forgets the credential's memory (a counter said otherwise): the sub-counters it skipped are asked too. */
const forget = (call: Call): void => {
  call.refusals.delete(call.name);
  call.remembered = undefined;
  call.known.clear();
};

/** One conditional update of the sub-counter the call aims at, and what its answer leads to. */
const attempt = async (call: Call): Promise<ConsumeOutcome | undefined> => {
  const { deps, input, index, requestId } = call;
  const now = deps.clock.now().getTime();
  const found = await deps.store.consumeInWindow(input, index, input.cost, now, requestId);
  if ('item' in found) {
    learnCount(call, found.item);
    if (call.remembered && !agrees(call.remembered, found.item, now)) forget(call);
  }
  switch (found.kind) {
    case 'admitted':
      return admittedBy(call, found.item, openWindowOf(found.item), now);
    case 'unbound':
      return call.index === 0 ? unbound(found.item, now) : toMainCounter(call);
    case 'refused':
      return passOn(call, { item: found.item, window: openWindowOf(found.item), opened: true });
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
  forget(call);
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
  if (short) {
    call.short = short;
    const bound = short.opened ? (short.item.remaining ?? 0) : (short.item.limit_units ?? 0);
    call.seen.set(call.index, { bound, windowEnd: short.window.end });
  }
  call.passed.add(call.index);
  aimPastAsked(call);
  return undefined;
};

/** Sub-counters this call need not ask: asked already, or known short from memory. */
const askedCount = (call: Call): number => {
  let count = call.passed.size;
  for (const index of call.known) if (!call.passed.has(index)) count += 1;
  return count;
};

const aimPastAsked = (call: Call): void => {
  const isAsked = (index: number) => call.passed.has(index) || call.known.has(index);
  if (askedCount(call) >= call.count) return;
  while (isAsked(call.index)) call.index = (call.index + 1) % call.count;
};

/**
 * Whether the call is decided: every sub-counter was asked, or one refused a cost above the largest
 * share `ceil(L/N)` (the main counter's), which no sub-counter can take in any window. Asking on
 * would cost a write per sub-counter, and while no unanchored window is open it would never end:
 * the main counter does not open the window for a call it refuses, and the others send the call
 * back to it.
 */
const nothingLeftToAsk = (call: Call): boolean =>
  askedCount(call) >= call.count || (call.short !== undefined && call.input.cost > largestShare(call.short.item));

const largestShare = (item: CounterItem): number =>
  subcounterShare(item.call_limits ?? (item.limit_units as number), item.subcounters ?? 1, 0);

/**
 * Every sub-counter was asked (or need not be) and none took the call: refused when one at least
 * was short, else the throttling is the answer; a refusal by a quota marked deleting is not one
 * (see `consume`).
 */
const decide = async (call: Call): Promise<ConsumeOutcome | undefined> => {
  const now = call.deps.clock.now().getTime();
  if (!call.short) {
    // Those asked were throttled; the others are known short from memory (if any): refused as remembered.
    const seen = call.remembered;
    // A quota being deleted refuses nothing: the throttling is the answer then.
    if (!seen || call.known.size === 0 || seen.quotaId === call.deleted) throw call.throttled;
    return refusedFrom(seen, now);
  }
  const { item, window } = call.short;
  const quotaId = item.quota_id as string;
  if (quotaId === call.deleted) {
    remember(call, now);
    return unbound(item, now);
  }
  if ((await quotaStateOf(call.deps, call.input, quotaId)) === 'deleting') return askAgainWithout(call, quotaId);
  remember(call, now);
  return { admitted: false, appId: item.app_id, quota: stateOf(item, window), now };
};

/**
 * Remembers what a refusal saw (when refusals may come from memory): for its window, what each
 * sub-counter found short had at most (a cost above the largest share fits none), and what the
 * memory already knew of the others in the same window.
 */
const remember = (call: Call, now: number): void => {
  if (call.recheckMs === 0 || !call.short) return;
  const { item, window, opened } = call.short;
  const bounds = new Map<number, number>();
  const before = call.remembered;
  if (before && before.window.end === window.end && before.opened === opened)
    for (const [index, bound] of before.bounds) bounds.set(index, bound);
  for (const [index, { bound, windowEnd }] of call.seen) if (windowEnd === window.end) bounds.set(index, bound);
  // A call that went to DynamoDB before the last real attempt may decide after it: its reading
  // must not bring the next real attempt forward (in-flight refusals would each cause one).
  const latest = call.refusals.get(call.name, now);
  const checkedAt = latest?.window.end === window.end ? Math.max(now, latest.checkedAt) : now;
  const share = largestShare(item);
  if (call.input.cost > share)
    for (let index = 0; index < call.count; index += 1) bounds.set(index, Math.min(bounds.get(index) ?? share, share));
  call.refusals.set(call.name, {
    appId: item.app_id,
    quotaId: item.quota_id as string,
    configVersion: item.config_version,
    limit: item.call_limits ?? (item.limit_units as number),
    count: call.count,
    window,
    opened,
    bounds,
    remaining: Math.max(0, item.remaining ?? 0),
    checkedAt,
  });
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
  forget(call);
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
  // One opener per counter and window in a container: the others wait for it, then take from the window it opened.
  const key = `${call.name}#${call.index}#${window.end}`;
  const inFlight = call.openings.get(key);
  if (inFlight && !call.waited.has(inFlight)) {
    call.waited.add(inFlight);
    await inFlight.catch(() => undefined);
    return undefined;
  }
  const opening = deps.store.openWindow(item, window, input.cost, requestId);
  call.openings.track(key, opening);
  const opened = await opening;
  if ('item' in opened && call.remembered && !agrees(call.remembered, opened.item, now)) forget(call);
  switch (opened.kind) {
    case 'admitted':
      return admittedBy(call, opened.item, window, now);
    case OVERTAKEN:
      return pauseAfter(call);
    case 'refused':
      return passOn(call, { item: opened.item, window, opened: false });
  }
};

/**
 * Admitted by the sub-counter asked. One the memory had as short for this cost cannot have been,
 * at the settings and in the window it remembered: what it remembered is out of date, forgotten.
 */
const admittedBy = (call: Call, item: CounterItem, window: Window, now: number): ConsumeOutcome => {
  const bound = call.remembered?.bounds.get(call.index);
  if (bound !== undefined && call.input.cost > bound) forget(call);
  return admitted(item, window, now);
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
