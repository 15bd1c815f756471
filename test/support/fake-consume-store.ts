import type { Instance } from '#domain/models.ts';
import { subcounterShare } from '#domain/subcounters.ts';
import type { Window } from '#domain/window.ts';
import type { ConsumeStore } from '#store/data-plane/consume-store.ts';
import type { ConsumeAttempt, OpenWindowOutcome } from '#store/data-plane/counter-store.ts';
import type { CounterItem, Credential } from '#store/items/counter-item.ts';
import { counterKey } from '#store/table/keys.ts';

/** The requests of the consume store port, one name per DynamoDB request the real store sends. */
export type ConsumeRequest = keyof ConsumeStore;

/** A quota as bound counters copy it. */
export interface FakeQuota {
  readonly quotaId: string;
  readonly callLimits: number;
  readonly subcounters: number;
  readonly windowMs: number;
  /** The reset time: windows anchored at it; none, a window opens at the first counted call. */
  readonly anchorMs?: number;
  readonly configVersion?: number;
}

/** What DynamoDB throws when a partition is throttled past the SDK's retries. */
export const throttlingError = (): Error =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
    name: 'ProvisionedThroughputExceededException',
  });

/**
 * An in-memory {@link ConsumeStore} for unit tests of consume, with DynamoDB's semantics as the real
 * store's requests have them: each request is atomic and sees every earlier one; a conditional
 * update either applies or answers the item as it was (classified as the real store classifies
 * it); items come back as copies. It counts the requests of each kind, and lets a test put a
 * partition under throttling, make the next requests meet a transaction holding the item, run a
 * concurrent writer just before a request, keep an app of the layout before counters (moved by
 * `migrateAppById`), and mark a quota deleting.
 */
export class FakeConsumeStore implements ConsumeStore {
  /** Every request, in order. */
  readonly sent: ConsumeRequest[] = [];
  readonly #instances = new Set<string>();
  /** App key claims: credential name to app id. */
  readonly #claims = new Map<string, string>();
  readonly #counters = new Map<string, CounterItem>();
  readonly #quotas = new Map<string, 'live' | 'deleting'>();
  /** Apps of the layout before counters, by app id: the counter their move creates. */
  readonly #legacy = new Map<string, CounterItem>();
  readonly #throttled = new Map<number, unknown>();
  readonly #conflicts = { consumeInWindow: 0, openWindow: 0 };
  readonly #before = new Map<ConsumeRequest, () => void>();

  /** How many requests of `kind` (every kind when not given) were sent. */
  count(kind?: ConsumeRequest): number {
    return kind === undefined ? this.sent.length : this.sent.filter((sent) => sent === kind).length;
  }

  /** Forgets the requests counted so far. */
  reset(): void {
    this.sent.length = 0;
  }

  addInstance(projectId: string, instanceId: string): void {
    this.#instances.add(`${projectId}/${instanceId}`);
  }

  /** An app as the control plane creates it: its key claimed, its main counter unbound. */
  addApp(credential: Credential, appId: string): void {
    this.#claims.set(nameOf(credential), appId);
    this.#put({ ...counterKey(credential.projectId, credential.instanceId, credential.appKey), ...unbound(appId) });
  }

  /**
   * An app of the layout before counters: its key is claimed but it has no counter until
   * `migrateAppById` moves it (bound to `quota` with one counter, as the move leaves it, or unbound).
   */
  addLegacyApp(credential: Credential, appId: string, quota?: FakeQuota): void {
    this.#claims.set(nameOf(credential), appId);
    const main = quota ? boundItem(credential, appId, { ...quota, subcounters: 1 }, 0) : unbound(appId);
    this.#legacy.set(appId, { ...counterKey(credential.projectId, credential.instanceId, credential.appKey), ...main });
    if (quota) this.#quotas.set(quota.quotaId, 'live');
  }

  /** A key claimed by an app that has no counter and is not of the old layout either (it is going away). */
  addClaimOnly(credential: Credential, appId: string): void {
    this.#claims.set(nameOf(credential), appId);
  }

  /** Binds a credential as the bind transaction does: every sub-counter with its share and no window. */
  bind(credential: Credential, quota: FakeQuota): void {
    const appId = this.#claims.get(nameOf(credential));
    if (appId === undefined) throw new Error('bind: no such app');
    this.#quotas.set(quota.quotaId, 'live');
    for (let index = 0; index < quota.subcounters; index += 1) this.#put(boundItem(credential, appId, quota, index));
  }

  /** Sub-counter `index` as it is now (a test's view, not a request). */
  counter(credential: Credential, index = 0): CounterItem | undefined {
    const item = this.#counters.get(pkOf(credential, index));
    return item && { ...item };
  }

  /** Changes sub-counter `index` in place (usage, window), as another writer would. */
  patch(credential: Credential, index: number, change: Partial<CounterItem>): void {
    const item = this.#counters.get(pkOf(credential, index));
    if (!item) throw new Error(`patch: no sub-counter ${index}`);
    this.#put({ ...item, ...change });
  }

  /** Writes a counter item as given (a leftover or otherwise odd item). */
  put(item: CounterItem): void {
    this.#put(item);
  }

  /** Removes sub-counter `index`, as an unbind does for every sub-counter but the main one. */
  remove(credential: Credential, index: number): void {
    this.#counters.delete(pkOf(credential, index));
  }

  markDeleting(quotaId: string): void {
    this.#quotas.set(quotaId, 'deleting');
  }

  /** Drops a quota's item: its delete finished (or it never was). */
  dropQuota(quotaId: string): void {
    this.#quotas.delete(quotaId);
  }

  /** Every consume on sub-counter `index` is throttled past the SDK's retries (until `unthrottle`). */
  throttle(index: number, error: unknown = throttlingError()): unknown {
    this.#throttled.set(index, error);
    return error;
  }

  unthrottle(index: number): void {
    this.#throttled.delete(index);
  }

  /** The next `times` requests of `kind` meet a transaction holding the item (TransactionConflict). */
  conflict(kind: 'consumeInWindow' | 'openWindow', times: number): void {
    this.#conflicts[kind] = times;
  }

  /** Runs `write` once, just before the next request of `kind` is applied: a concurrent writer. */
  before(kind: ConsumeRequest, write: () => void): void {
    this.#before.set(kind, write);
  }

  async getInstance(projectId: string, instanceId: string): Promise<Instance | undefined> {
    this.#sent('getInstance');
    if (!this.#instances.has(`${projectId}/${instanceId}`)) return undefined;
    return { projectId, instanceId, name: 'fake', description: '', createTime: new Date(0) };
  }

  async findAppIdByKey(projectId: string, instanceId: string, key: string): Promise<string | undefined> {
    this.#sent('findAppIdByKey');
    return this.#claims.get(nameOf({ projectId, instanceId, appKey: key }));
  }

  async migrateAppById(_projectId: string, _instanceId: string, appId: string): Promise<void> {
    this.#sent('migrateAppById');
    const counter = this.#legacy.get(appId);
    if (!counter) return;
    this.#legacy.delete(appId);
    this.#put(counter);
  }

  async getQuotaState(
    _projectId: string,
    _instanceId: string,
    quotaId: string,
  ): Promise<'live' | 'deleting' | 'missing'> {
    this.#sent('getQuotaState');
    return this.#quotas.get(quotaId) ?? 'missing';
  }

  async getCounter(credential: Credential, index = 0): Promise<CounterItem | undefined> {
    this.#sent('getCounter');
    return this.counter(credential, index);
  }

  /**
   * `SET remaining = remaining - :cost, last_consume = :request` on condition
   * `attribute_exists(quota_id) AND window_end_ms > :now AND remaining >= :cost AND last_consume <> :request`,
   * the old item back on a refusal.
   */
  async consumeInWindow(
    credential: Credential,
    index: number,
    cost: number,
    nowMs: number,
    requestId: string,
  ): Promise<ConsumeAttempt> {
    this.#sent('consumeInWindow');
    if (this.#conflicted('consumeInWindow')) return { kind: 'overtaken' };
    if (this.#throttled.has(index)) return { kind: 'throttled', error: this.#throttled.get(index) };
    const old = this.#counters.get(pkOf(credential, index));
    const passes =
      old?.quota_id !== undefined &&
      old.window_end_ms !== undefined &&
      old.window_end_ms > nowMs &&
      old.remaining !== undefined &&
      old.remaining >= cost &&
      old.last_consume !== requestId;
    if (passes)
      return {
        kind: 'admitted',
        item: this.#put({ ...old, remaining: old.remaining - cost, last_consume: requestId }),
      };
    // The real store's reading of a refusal's old item.
    if (!old) return { kind: 'missing' };
    if (old.last_consume === requestId) return { kind: 'admitted', item: { ...old } };
    if (!old.quota_id) return { kind: 'unbound', item: { ...old } };
    if (!(old.window_end_ms !== undefined && old.window_end_ms > nowMs)) return { kind: 'no-window', item: { ...old } };
    if ((old.remaining ?? 0) < cost) return { kind: 'refused', item: { ...old } };
    return { kind: 'overtaken' };
  }

  /**
   * `SET window_end_ms = :end, remaining = limit_units - :cost, last_consume = :request` on condition
   * that binding, settings version and window are `item`'s and `limit_units >= :cost`.
   */
  async openWindow(item: CounterItem, window: Window, cost: number, requestId: string): Promise<OpenWindowOutcome> {
    this.#sent('openWindow');
    if (this.#conflicted('openWindow')) return { kind: 'overtaken' };
    const old = this.#counters.get(item.pk);
    const passes =
      old?.quota_id !== undefined &&
      old.quota_id === item.quota_id &&
      old.config_version === item.config_version &&
      old.limit_units !== undefined &&
      old.limit_units >= cost &&
      old.window_end_ms === item.window_end_ms;
    if (passes)
      return {
        kind: 'admitted',
        item: this.#put({
          ...old,
          window_end_ms: window.end,
          remaining: old.limit_units - cost,
          last_consume: requestId,
        }),
      };
    if (old?.last_consume === requestId) return { kind: 'admitted', item: { ...old } };
    const unchanged =
      old?.quota_id === item.quota_id &&
      old?.config_version === item.config_version &&
      old?.window_end_ms === item.window_end_ms;
    return unchanged && old && (old.limit_units ?? 0) < cost
      ? { kind: 'refused', item: { ...old } }
      : { kind: 'overtaken' };
  }

  #sent(kind: ConsumeRequest): void {
    this.sent.push(kind);
    const write = this.#before.get(kind);
    if (!write) return;
    this.#before.delete(kind);
    write();
  }

  #conflicted(kind: 'consumeInWindow' | 'openWindow'): boolean {
    if (this.#conflicts[kind] === 0) return false;
    this.#conflicts[kind] -= 1;
    return true;
  }

  #put(item: CounterItem): CounterItem {
    this.#counters.set(item.pk, { ...item });
    return { ...item };
  }
}

const nameOf = ({ projectId, instanceId, appKey }: Credential) => `${projectId}/${instanceId}/${appKey}`;

const pkOf = ({ projectId, instanceId, appKey }: Credential, index: number) =>
  counterKey(projectId, instanceId, appKey, index).pk;

const unbound = (appId: string) => ({ type: 'counter' as const, app_id: appId, subcounter: 0 });

/** Sub-counter `index` as a bind writes it: the quota's settings copied, its share of the limit, no window. */
const boundItem = (credential: Credential, appId: string, quota: FakeQuota, index: number): CounterItem => ({
  ...counterKey(credential.projectId, credential.instanceId, credential.appKey, index),
  type: 'counter',
  app_id: appId,
  subcounter: index,
  subcounters: quota.subcounters,
  quota_id: quota.quotaId,
  call_limits: quota.callLimits,
  limit_units: subcounterShare(quota.callLimits, quota.subcounters, index),
  window_ms: quota.windowMs,
  ...(quota.anchorMs === undefined ? {} : { anchor_ms: quota.anchorMs }),
  config_version: quota.configVersion ?? 1,
});
