import { parseInstant } from './time.ts';
import { LAST_INSTANT } from './window.ts';

/** The units a quota window is measured in, with their length in milliseconds. */
export const TIME_UNIT_MS = {
  SECOND: 1000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
} as const;

/** A window's unit. */
export type TimeUnit = keyof typeof TIME_UNIT_MS;

/** What a quota says: at most `callLimits` cost units per credential per window. */
export interface QuotaConfig {
  readonly callLimits: number;
  readonly timeUnit: TimeUnit;
  readonly timeInterval: number;
  /** Where windows are anchored; absent, a credential's window opens at its first counted call. */
  readonly resetTime: Date | undefined;
}

/** A credential quota. */
export interface Quota extends QuotaConfig {
  readonly projectId: string;
  readonly instanceId: string;
  readonly quotaId: string;
  readonly name: string;
  readonly remark: string;
  readonly createTime: Date;
  /** How many apps are bound to it, kept in the same transactions as the bindings it counts. */
  readonly boundAppNum: number;
  /**
   * How many sub-counters each bound credential's window is spread over (1: one counter), each
   * admitting its share of `callLimits`: past one partition's write rate for a hot credential.
   */
  readonly subcounters: number;
  /**
   * This service's own option: the percentages of `callLimits` at which its threshold events are
   * sent for this quota's credentials, ascending; absent, the stage's thresholds apply.
   */
  readonly alertThresholds?: readonly number[] | undefined;
}

/** An app's binding to a quota. */
export interface Binding {
  readonly quotaId: string;
  readonly appId: string;
  readonly boundTime: Date;
}

/**
 * The window length `time_interval x time_unit`, in milliseconds. Up to 2147483647 days it would
 * pass 2^53 (and DynamoDB's exact numbers); a window longer than the span RFC 3339 can write never
 * ends in practice, so the length is capped there.
 */
export const windowLengthMs = (config: Pick<QuotaConfig, 'timeUnit' | 'timeInterval'>): number =>
  Math.min(config.timeInterval * TIME_UNIT_MS[config.timeUnit], LAST_INSTANT);

/**
 * Parses `reset_time`: `YYYY-MM-DD HH:mm:ss` in UTC (the vendor's example) or RFC 3339 with an
 * offset. Fractions of a second are dropped: windows are anchored on whole seconds.
 */
export const parseResetTime = (value: string): Date | undefined => {
  const date = parseInstant(value);
  return date && new Date(date.getTime() - (date.getTime() % 1000));
};

/** `reset_time` as responses show it: `YYYY-MM-DD HH:mm:ss` in UTC. */
export const formatResetTime = (date: Date): string => date.toISOString().slice(0, 19).replace('T', ' ');
