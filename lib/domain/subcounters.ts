/** The most sub-counters a quota may spread each credential's window over. */
export const MAX_SUBCOUNTERS = 16;

/**
 * The units of a window's `limit` that sub-counter `index` of `count` may admit. The shares add
 * up to the limit exactly (the first `limit mod count` hold one more), so however the calls
 * spread, the credential is never admitted more than its limit.
 */
export const subcounterShare = (limit: number, count: number, index: number): number =>
  Math.floor(limit / count) + (index < limit % count ? 1 : 0);
