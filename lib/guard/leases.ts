import type { ConsumeDeps, ConsumeInput, ConsumeOutcome, QuotaState } from '#use-cases/consume/consume.ts';
import { consume } from '#use-cases/consume/consume.ts';

/**
 * Units a lease takes by default. 10 cuts the DynamoDB writes of a busy credential tenfold
 * ($0.625 to ~$0.06 per million checks) while what it can leave unused stays small: at most 9
 * units per container per window, and a quota change reaches a container within 9 calls.
 */
export const DEFAULT_LEASE_UNITS = 10;

/** The smallest lease worth the name: 1 would be the exact consume. */
export const MIN_LEASE_UNITS = 2;

/**
 * The largest lease: past 100 the writes saved are under 1% of the exact consume's, while the
 * slack (units a container may leave unused, calls a quota change may lag) keeps growing with k.
 */
export const MAX_LEASE_UNITS = 100;

/**
 * A lease never takes more than this fraction of the units the counter had left at the last
 * take (1/4): so when few units remain, they are not parked in one container while others are
 * refused, and the last few are consumed exactly, one call at a time.
 */
const SHARE_OF_REMAINING = 4;

/** What a container holds for one credential: units taken in one window at one settings version. */
interface Lease {
  /** The quota as the take that made this lease saw it: window end and settings version included. */
  readonly quota: QuotaState;
  readonly appId: string;
  /** Units taken from DynamoDB and not yet granted. */
  units: number;
  /** Units the counter had left after the take (the deciding sub-counter's). */
  readonly remainingAfterTake: number;
  /** When the take was made, and how many units it took: this container's pace. */
  readonly takenAt: number;
  readonly size: number;
}

/** Checks a lease size given in options: an integer from {@link MIN_LEASE_UNITS} to {@link MAX_LEASE_UNITS}. */
export const checkLeaseUnits = (units: number): number => {
  if (!Number.isInteger(units) || units < MIN_LEASE_UNITS || units > MAX_LEASE_UNITS)
    throw new RangeError(`lease units must be an integer from ${MIN_LEASE_UNITS} to ${MAX_LEASE_UNITS}, got ${units}`);
  return units;
};

/**
 * Leases of one guard (one container): a consume that finds no lease with enough units takes k
 * units in ONE conditional write (the same consume as the route's, for k units), grants `cost` of
 * them and keeps the rest for the credential's next calls, which are then admitted from memory.
 *
 * - Never over-admits: every granted unit was taken from the counter's open window in DynamoDB
 *   before it was granted, and a lease is used only before the end of the window it was taken in.
 *   A take in another window or at another settings version voids what was left of the last one.
 * - Under-admits by at most k-1 units per container per window (what a lease may still hold when
 *   its window ends; as many again in a window where a settings change voided a lease). A take shrinks, down to the exact `cost`, when the counter had few units left
 *   (never more than a quarter of them) and near the window's end (never more than this
 *   container's pace since its last take would use before the end).
 * - A quota change (new limit, window or binding) reaches a container at its next take: within
 *   one lease, i.e. after at most k-1 more calls admitted under the old settings.
 *
 * Calls of one credential that find the lease empty while a take is in flight wait for it rather
 * than each taking their own: one take per k calls even under concurrency.
 */
export class LeaseBook {
  readonly #units: number;
  readonly #capacity: number;
  readonly #leases = new Map<string, Lease>();
  readonly #takes = new Map<string, Promise<unknown>>();

  /** `units` is k, checked with {@link checkLeaseUnits}; `capacity` bounds the credentials remembered. */
  constructor(units: number = DEFAULT_LEASE_UNITS, capacity = 10_000) {
    this.#units = checkLeaseUnits(units);
    this.#capacity = capacity;
  }

  /** Consumes `input.cost` units, from a lease when one holds them, else by taking a new one. */
  async consume(deps: ConsumeDeps, input: ConsumeInput): Promise<ConsumeOutcome> {
    const name = `${input.projectId}/${input.instanceId}/${input.appKey}`;
    for (;;) {
      const now = deps.clock.now().getTime();
      const lease = this.#leases.get(name);
      if (lease && now < lease.quota.windowEnd && lease.units >= input.cost) {
        lease.units -= input.cost;
        return { admitted: true, appId: lease.appId, quota: this.#shown(lease), now };
      }
      const pending = this.#takes.get(name);
      if (pending) {
        await pending.catch(() => undefined);
        continue;
      }
      const take = this.#take(deps, input, name, now);
      this.#takes.set(name, take);
      try {
        return await take;
      } finally {
        this.#takes.delete(name);
      }
    }
  }

  /** How many units the next take asks for: k, shrunk by what is left and by the time left. */
  #sizeOf(name: string, cost: number, now: number): number {
    let size = this.#units;
    const last = this.#leases.get(name);
    if (last && now < last.quota.windowEnd) {
      size = Math.min(size, Math.floor(last.remainingAfterTake / SHARE_OF_REMAINING));
      const elapsed = now - last.takenAt;
      if (elapsed > 0) size = Math.min(size, Math.floor((last.size * (last.quota.windowEnd - now)) / elapsed));
    }
    return Math.max(cost, size);
  }

  async #take(deps: ConsumeDeps, input: ConsumeInput, name: string, now: number): Promise<ConsumeOutcome> {
    let size = this.#sizeOf(name, input.cost, now);
    let outcome = await consume(deps, { ...input, cost: size });
    if (!outcome.admitted && size > input.cost) {
      // Fewer than k units left where the take landed: the call itself may still fit exactly.
      size = input.cost;
      outcome = await consume(deps, input);
    }
    const quota = outcome.quota;
    if (!quota) {
      // Unbound: nothing to lease, and whatever was held belongs to a binding that is gone.
      this.#leases.delete(name);
      return outcome;
    }
    const current = this.#leases.get(name);
    const sameLease =
      current !== undefined &&
      current.quota.quotaId === quota.quotaId &&
      current.quota.windowEnd === quota.windowEnd &&
      current.quota.configVersion === quota.configVersion;
    const kept = sameLease ? current.units : 0;
    const lease: Lease = {
      quota,
      appId: outcome.appId,
      units: kept + (outcome.admitted ? size - input.cost : 0),
      remainingAfterTake: quota.remaining,
      takenAt: now,
      size: outcome.admitted ? size : 0,
    };
    this.#leases.delete(name);
    this.#leases.set(name, lease);
    if (this.#leases.size > this.#capacity) this.#leases.delete(this.#leases.keys().next().value as string);
    return outcome.admitted ? { ...outcome, quota: this.#shown(lease) } : outcome;
  }

  /** The quota as a lease's answer shows it: what the counter had left, plus what this lease still holds. */
  #shown(lease: Lease): QuotaState {
    return { ...lease.quota, remaining: lease.remainingAfterTake + lease.units };
  }
}
