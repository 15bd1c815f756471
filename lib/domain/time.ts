import { LAST_INSTANT } from './window.ts';

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

const SPACED = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an instant as requests give one: `YYYY-MM-DD HH:mm:ss` in UTC (the vendor's `reset_time`
 * example) or RFC 3339 with an offset, as every answer writes times, its fraction kept to the
 * millisecond (so a time read from an answer names the same instant when sent back). Undefined
 * for anything else, and for an instant before 1970 or past what RFC 3339 can write in UTC.
 */
export const parseInstant = (value: string): Date | undefined => {
  const spaced = SPACED.exec(value);
  if (spaced) return utcFromParts(spaced.slice(1, 7));
  const rfc = RFC3339.exec(value);
  if (!rfc) return undefined;
  const local = utcFromParts(rfc.slice(1, 7));
  if (!local) return undefined;
  const ms = Number((rfc[7] ?? '.0').slice(1, 4).padEnd(3, '0'));
  const offset = rfc[8] ?? 'Z';
  if (offset === 'Z' || offset === 'z') return new Date(local.getTime() + ms);
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hours, minutes] = offset.slice(1).split(':').map(Number) as [number, number];
  if (hours > 23 || minutes > 59) return undefined;
  const date = new Date(local.getTime() + ms - sign * (hours * 60 + minutes) * 60_000);
  // An offset can carry the instant past year 9999 or before 1970, which UTC cannot show as given.
  return date.getTime() >= 0 && date.getTime() <= LAST_INSTANT ? date : undefined;
};
