import type { BenchEnv } from './environment.ts';
import { type FleetLoadResult, runFleetLoad, type VirtualClock, virtualClock } from './fleet-load.ts';

/** One flood run: an exhausted credential's callers, as `partition_model.flood` holds it. */
export interface FloodResult {
  readonly subcounters: number;
  readonly containers: number;
  readonly callers: number;
  readonly offered_per_s: number;
  readonly seconds: number;
  readonly refused_per_s: number;
  /** Calls admitted (none should be: the window was used up before). */
  readonly admitted: number;
  /** Calls answered neither 200 nor 429 (503 after the SDK's retries). */
  readonly failed: number;
  /** Attempts the model throttled. */
  readonly throttled: number;
  readonly ddb_requests: number;
  readonly ddb_requests_per_refusal: number;
}

/** The shape of the fleets the flood and the window-start blocks drive. */
export const FLEET = { containers: 4, callers: 64 } as const;

/** What one fleet run is offered: the model's budget, the load, and for how long. */
export interface FleetOffer {
  readonly budgetWcu: number;
  readonly offeredPerS: number;
  readonly seconds: number;
}

/**
 * Consumes `appKey` at cost 1 with a {@link FLEET} of containers of their own (cold), on `clock`,
 * through the partition model; the fleet's client goes when the run ends.
 */
export const consumeWithFleet = async (
  env: BenchEnv,
  clock: VirtualClock,
  appKey: string,
  offer: FleetOffer,
): Promise<FleetLoadResult> => {
  const fleet = env.virtualTime({ clock, containers: FLEET.containers });
  try {
    return await runFleetLoad({
      client: fleet.db.client,
      budgetWcu: offer.budgetWcu,
      containers: fleet.containers,
      call: () => env.prepare('POST', `${env.base}/quota-consumptions`, { app_key: appKey, cost: 1 }),
      callers: FLEET.callers,
      offeredPerS: offer.offeredPerS,
      seconds: offer.seconds,
      clock,
    });
  } finally {
    fleet.db.client.destroy();
  }
};

/** A quota as the API creates it. */
export interface QuotaBody {
  readonly name: string;
  readonly call_limits: number;
  readonly time_unit: 'SECOND' | 'DAY';
  readonly time_interval: number;
  readonly subcounters?: number;
}

/** Creates the quota and one app bound to it; answers the app's key. */
export const boundAppKey = async (env: BenchEnv, quota: QuotaBody): Promise<string> => {
  const created = await env.call('POST', `${env.base}/app-quotas`, quota);
  if (created.status !== 201) throw new Error(`${quota.name}: ${JSON.stringify(created.body)}`);
  const [app] = await env.createApps(1, quota.name);
  if (!app) throw new Error(`${quota.name}: no app`);
  await env.bindAll(created.body.app_quota_id, [app.appId]);
  return app.appKey;
};

/** A day's quota of `limit` over `subcounters`, used up by a container of its own before the load. */
const exhaustedKey = async (env: BenchEnv, clock: VirtualClock, subcounters: number, limit: number) => {
  const appKey = await boundAppKey(env, {
    name: `Flood${subcounters}`,
    call_limits: limit,
    time_unit: 'DAY',
    time_interval: 1,
    subcounters,
  });
  const setup = env.virtualTime({ clock });
  try {
    const call = () => env.prepare('POST', `${env.base}/quota-consumptions`, { app_key: appKey, cost: 1 });
    let admitted = 0;
    while ((await setup.invoke(call())).statusCode === 200) admitted += 1;
    if (admitted !== limit) throw new Error(`Flood${subcounters}: admitted ${admitted} of ${limit} while using it up`);
    return appKey;
  } finally {
    setup.db.client.destroy();
  }
};

/**
 * The flood: one credential whose day's window is already used up, called by 64 callers over 4
 * containers (dependencies of their own each, cold: they learn the refusal in the run) at
 * `offeredPerS` for `seconds` of the model's clock, for each sub-counter count. Every call
 * should be refused with 429, almost all of them from the containers' memories.
 */
export const runFloodBench = async (
  env: BenchEnv,
  options: {
    readonly budgetWcu: number;
    readonly offeredPerS: number;
    readonly seconds: number;
    readonly startMs: number;
    readonly subcounters: readonly number[];
  },
): Promise<FloodResult[]> => {
  const results: FloodResult[] = [];
  for (const subcounters of options.subcounters) {
    // The setup runs a model minute before the load, in the same day's window.
    const clock = virtualClock(options.startMs - 60_000);
    const appKey = await exhaustedKey(env, clock, subcounters, 2 * subcounters);
    clock.ms = options.startMs;
    const run = await consumeWithFleet(env, clock, appKey, options);
    results.push({
      subcounters,
      containers: FLEET.containers,
      callers: FLEET.callers,
      offered_per_s: options.offeredPerS,
      seconds: options.seconds,
      refused_per_s: Math.round(run.refused / options.seconds),
      admitted: run.admitted,
      failed: run.failed,
      throttled: run.throttled,
      ddb_requests: run.ddbRequests,
      ddb_requests_per_refusal: Math.round((run.ddbRequests / Math.max(1, run.refused)) * 10_000) / 10_000,
    });
  }
  return results;
};
