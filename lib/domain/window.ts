/** A quota window: `[start, end)` in epoch milliseconds. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** The last instant RFC 3339 can write (9999-12-31T23:59:59.999Z): windows that would end later end there. */
export const LAST_INSTANT = 253_402_300_799_999;

/**
 * The window a counted call at `now` falls in. Anchored at a reset time R, windows are
 * `[R + kL, R + (k+1)L)` for every integer k (R may be in the future or far past); without an
 * anchor, the call opens a window `[now, now + L)`.
 */
export const windowAt = (now: number, lengthMs: number, anchorMs?: number): Window => {
  const start = anchorMs === undefined ? now : anchorMs + Math.floor((now - anchorMs) / lengthMs) * lengthMs;
  return { start, end: Math.min(start + lengthMs, LAST_INSTANT) };
};
