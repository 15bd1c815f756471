import type { Window } from './window.ts';

/**
 * What one sub-counter of a credential holds of one window: the units taken from it in the window
 * (consume's calls, or the guard's leases), measured against the quota's whole limit.
 */
export interface CounterUse {
  readonly quotaId: string;
  /** Which sub-counter (0: the main one). */
  readonly subcounter: number;
  /** How many sub-counters the credential's window is spread over. */
  readonly subcounters: number;
  /** The quota's whole limit: what the history and the thresholds measure against. */
  readonly limit: number;
  /** Units taken from this sub-counter in the window: its share of the limit less what it has left. */
  readonly used: number;
  readonly window: Window;
}

/**
 * Whether two uses are of one window of one binding. The settings version is not compared: a new
 * limit alone keeps the window and its use (its counters' `remaining` moves by the change of share).
 */
export const sameWindow = (a: CounterUse, b: CounterUse): boolean =>
  a.quotaId === b.quotaId && a.window.start === b.window.start && a.window.end === b.window.end;

/**
 * The window a change of a counter closed, with the counter's use of it: the counter was in a
 * window before, and after the change it is in another one (a window rolled over), in none (a quota
 * change that starts a fresh window, an unbind) or gone (an unbind or a delete of the app).
 */
export const closedWindow = (before: CounterUse | undefined, after: CounterUse | undefined): CounterUse | undefined =>
  before !== undefined && (after === undefined || !sameWindow(before, after)) ? before : undefined;

/**
 * Whether no call can be counted in the window any more at `nowMs`: a consume takes units only
 * while `window_end_ms > now`, so past the end a counter still in the window holds its final use.
 */
export const windowOver = (use: CounterUse, nowMs: number): boolean => nowMs >= use.window.end;

/**
 * A credential's use of `window` from what was seen of its sub-counters (several sightings of one
 * sub-counter possible: stream images, a read): per sub-counter the largest use seen in that
 * window (use only grows within a window), summed. Sightings of other windows count nothing.
 */
export const credentialUse = (window: CounterUse, seen: readonly (CounterUse | undefined)[]): number => {
  const largest = new Map<number, number>();
  for (const use of seen) {
    if (use === undefined || !sameWindow(use, window)) continue;
    largest.set(use.subcounter, Math.max(largest.get(use.subcounter) ?? 0, use.used));
  }
  let sum = 0;
  for (const used of largest.values()) sum += used;
  return sum;
};

/** Threshold events by default: when a credential's use in a window reaches 80%, then 100%, of its limit. */
export const DEFAULT_ALERT_THRESHOLDS: readonly number[] = [80, 100];

/** How long a closed window stays in the usage history by default (then DynamoDB's TTL removes it). */
export const DEFAULT_HISTORY_RETENTION_DAYS = 90;

/** The longest retention a setting may ask for: ten years. */
export const MAX_HISTORY_RETENTION_DAYS = 3650;

/**
 * The rule every set of alert thresholds follows, the stage's setting and a quota's
 * `alert_thresholds` alike: 1 to 10 distinct integer percentages of the limit, from 1 to 100.
 */
export const ALERT_THRESHOLD_RULE = { minCount: 1, maxCount: 10, min: 1, max: 100 } as const;

/** Whether thresholds follow {@link ALERT_THRESHOLD_RULE}. */
export const areAlertThresholds = (thresholds: readonly number[]): boolean => {
  const { minCount, maxCount, min, max } = ALERT_THRESHOLD_RULE;
  return (
    thresholds.length >= minCount &&
    thresholds.length <= maxCount &&
    new Set(thresholds).size === thresholds.length &&
    thresholds.every((t) => Number.isInteger(t) && t >= min && t <= max)
  );
};

/** Thresholds in the order they are kept and checked: ascending. */
export const sortedThresholds = (thresholds: readonly number[]): readonly number[] =>
  [...thresholds].sort((a, b) => a - b);

/**
 * Checks thresholds given in settings ({@link ALERT_THRESHOLD_RULE}), returned in ascending order.
 */
export const checkThresholds = (thresholds: readonly number[]): readonly number[] => {
  if (!areAlertThresholds(thresholds))
    throw new RangeError(
      `alert thresholds must be ${ALERT_THRESHOLD_RULE.minCount} to ${ALERT_THRESHOLD_RULE.maxCount} distinct integer percentages from ${ALERT_THRESHOLD_RULE.min} to ${ALERT_THRESHOLD_RULE.max}, got ${JSON.stringify(thresholds)}`,
    );
  return sortedThresholds(thresholds);
};

/** Whether two sets of thresholds (each ascending, or absent) are the same. */
export const sameThresholds = (a: readonly number[] | undefined, b: readonly number[] | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((t, i) => t === b[i]));

/** Thresholds written as a setting (`80,100`): unset or empty, the defaults; anything invalid throws. */
export const thresholdsFromText = (text: string | undefined): readonly number[] => {
  if (text === undefined || text.trim() === '') return DEFAULT_ALERT_THRESHOLDS;
  const parts = text.split(',').map((part) => part.trim());
  return checkThresholds(parts.map((part) => (/^\d+$/.test(part) ? Number(part) : Number.NaN)));
};

/** Checks a retention in days given in settings: an integer from 1 to {@link MAX_HISTORY_RETENTION_DAYS}. */
export const checkRetentionDays = (days: number): number => {
  if (!Number.isInteger(days) || days < 1 || days > MAX_HISTORY_RETENTION_DAYS)
    throw new RangeError(
      `the history retention must be an integer from 1 to ${MAX_HISTORY_RETENTION_DAYS} days, got ${days}`,
    );
  return days;
};

/** A retention written as a setting: unset or empty, the default; anything invalid throws. */
export const retentionDaysFromText = (text: string | undefined): number =>
  text === undefined || text.trim() === ''
    ? DEFAULT_HISTORY_RETENTION_DAYS
    : checkRetentionDays(/^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN);

/** The thresholds a use of `used` units of `limit` has reached (integer arithmetic: 80% of 5 is 4). */
export const reachedThresholds = (used: number, limit: number, thresholds: readonly number[]): number[] =>
  used > 0 ? thresholds.filter((percent) => used * 100 >= percent * limit) : [];

/**
 * Whether a use of `used` units of `limit` may have reached any threshold at all, whatever the
 * quota's own thresholds are: it reached the lowest any rule allows (1%).
 */
export const mayReachThresholds = (used: number, limit: number): boolean =>
  reachedThresholds(used, limit, [ALERT_THRESHOLD_RULE.min]).length > 0;

/** When a closed window's history item expires: its end plus the retention, in epoch seconds (DynamoDB's TTL). */
export const historyExpiry = (windowEndMs: number, retentionDays: number): number =>
  Math.floor((windowEndMs + retentionDays * 86_400_000) / 1000);
