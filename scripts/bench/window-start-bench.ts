import type { BenchEnv } from './environment.ts';
import { virtualClock } from './fleet-load.ts';
import { boundAppKey, consumeWithFleet, FLEET } from './flood-bench.ts';

/** The window-start block, as `partition_model.window_start` holds it. */
export interface WindowStartResult {
  readonly limit: number;
  readonly window_s: number;
  readonly containers: number;
  readonly callers: number;
  readonly offered_per_s: number;
  readonly seconds: number;
  /** What each window should admit: min(limit, one partition's budget). */
  readonly target: number;
  /** Windows that began and ended inside the run. */
  readonly windows: number;
  readonly admitted_per_window_min: number;
  readonly admitted_per_window_max: number;
  /** Units admitted past the limit in the worst window (must be 0). */
  readonly over_limit: number;
  readonly refused: number;
  /** Calls answered neither 200 nor 429 (503 after the SDK's retries). */
  readonly failed: number;
  /** Attempts the model throttled. */
  readonly throttled: number;
  readonly ddb_requests: number;
}

/**
 * Window starts under load: a quota of `limit` per second on one credential whose windows no
 * one opened before, called by 64 callers over 4 containers at `offeredPerS` for `seconds` of
 * the model's clock. Each window must admit its limit (or what one partition can take), no more,
 * and no call may fail while the containers open it.
 */
export const runWindowStartBench = async (
  env: BenchEnv,
  options: {
    readonly budgetWcu: number;
    readonly limit: number;
    readonly offeredPerS: number;
    readonly seconds: number;
    readonly startMs: number;
  },
): Promise<WindowStartResult> => {
  const appKey = await boundAppKey(env, {
    name: `WindowStart${options.limit}`,
    call_limits: options.limit,
    time_unit: 'SECOND',
    time_interval: 1,
  });
  const clock = virtualClock(options.startMs);
  const run = await consumeWithFleet(env, clock, appKey, options);
  // Unanchored windows of 1 s: each opens at its first call, so a window ends within the run
  // when its end is before the last call; the one open at the end is partial.
  const whole = [...run.admittedByWindow]
    .filter(([end]) => Date.parse(end) <= run.endMs)
    .map(([, admitted]) => admitted);
  return {
    limit: options.limit,
    window_s: 1,
    containers: FLEET.containers,
    callers: FLEET.callers,
    offered_per_s: options.offeredPerS,
    seconds: options.seconds,
    target: Math.min(options.limit, options.budgetWcu),
    windows: whole.length,
    admitted_per_window_min: whole.length ? Math.min(...whole) : 0,
    admitted_per_window_max: whole.length ? Math.max(...whole) : 0,
    over_limit: Math.max(0, ...[...run.admittedByWindow.values()].map((admitted) => admitted - options.limit)),
    refused: run.refused,
    failed: run.failed,
    throttled: run.throttled,
    ddb_requests: run.ddbRequests,
  };
};
