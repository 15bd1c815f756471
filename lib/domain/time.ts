/** A source of the current time, injected so tests control it. */
export interface Clock {
  now(): Date;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A response timestamp: UTC, RFC 3339 with milliseconds. */
export const formatTime = (date: Date): string => date.toISOString();
