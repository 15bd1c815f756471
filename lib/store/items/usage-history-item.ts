import type { Key } from '#store/table/keys.ts';

/**
 * One closed window of an app's credential as the usage history keeps it: what was admitted in
 * it, summed over its sub-counters (with leases, the units the guard took), against which limit.
 */
export interface UsageWindow {
  readonly projectId: string;
  readonly instanceId: string;
  readonly appId: string;
  readonly quotaId: string;
  readonly used: number;
  readonly limit: number;
  readonly windowStart: Date;
  readonly windowEnd: Date;
}

/**
 * The stored form of a {@link UsageWindow}, at `usageHistoryKey` (keys.ts), written only by the
 * stream processor. `counted` makes it idempotent: a sub-counter's use is added once, with the
 * condition that its index is not yet in the set, so a redelivered stream batch adds nothing.
 * `expires_at` (TTL, epoch seconds) ends it after the history's retention.
 */
export interface UsageHistoryItem extends Key {
  readonly type: 'usage-history';
  readonly project_id: string;
  readonly instance_id: string;
  readonly app_id: string;
  readonly app_quota_id: string;
  readonly used: number;
  readonly limit: number;
  readonly window_start_ms: number;
  readonly window_end_ms: number;
  /** The sub-counters whose use `used` holds. */
  readonly counted: ReadonlySet<number>;
  readonly expires_at: number;
}

/** What a stored history item says of its window: all but its keys and bookkeeping (a read may project just this). */
export type UsageWindowFields = Omit<UsageHistoryItem, keyof Key | 'type' | 'counted' | 'expires_at'>;

/** A stored history item as the domain reads it. */
export const usageWindowOf = (item: UsageWindowFields): UsageWindow => ({
  projectId: item.project_id,
  instanceId: item.instance_id,
  appId: item.app_id,
  quotaId: item.app_quota_id,
  used: item.used,
  limit: item.limit,
  windowStart: new Date(item.window_start_ms),
  windowEnd: new Date(item.window_end_ms),
});
