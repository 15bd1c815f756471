/** A source of the current time, injected so tests control it. */
export interface Clock {
  now(): Date;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A response timestamp: UTC, RFC 3339 with milliseconds. */
export const formatTime = (date: Date): string => date.toISOString();

/**
 * The UTC instant of year, month, day, hour, minute and second given as digit strings, or
 * `undefined` when they name no real instant from 1970 on. `Date.UTC` rolls 2021-02-30 over into
 * March: a date that does not read back the same is not a date.
 */
export const utcFromParts = (parts: readonly string[]): Date | undefined => {
  const [year, month, day, hour, minute, second] = parts.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const valid =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return valid && year >= 1970 ? date : undefined;
};
