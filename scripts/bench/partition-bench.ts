import { MAX_INT32 } from '#schemas/quota-bodies.ts';
import type { BenchEnv } from './environment.ts';
import { runVirtualLoad, type VirtualLoadResult } from './partition-load.ts';

/** One partition key's budget in the model: DynamoDB's 1,000 WCU/s scaled down 10x. */
export const BUDGET_WCU = 100;

type Measured = Pick<VirtualLoadResult, 'admitted_per_s' | 'ratio' | 'failed' | 'throttled' | 'wall_calls_per_s'>;

/** What bench/results.json's `partition_model` holds. */
export interface PartitionModelResult {
  readonly budget_wcu: number;
  /** Calls offered per second of the model's clock, and for how many of its seconds. */
  readonly offered_per_s: number;
  readonly seconds: number;
  readonly instance: { readonly apps: number } & Measured;
  readonly hot: {
    readonly subcounters: number;
    /** Units admitted past the limit when 400 calls met a limit of 100 through the model (must be 0). */
    readonly over_limit: number;
  } & Measured;
}

const APPS = 50;
const SUBCOUNTERS = 4;
const START_MS = Date.parse('2026-11-23T07:00:00.000Z');

const measured = (result: VirtualLoadResult): Measured => ({
  admitted_per_s: result.admitted_per_s,
  ratio: result.ratio,
  failed: result.failed,
  throttled: result.throttled,
  wall_calls_per_s: result.wall_calls_per_s,
});

/**
 * Consume through the partition model on its virtual clock, 1,000 calls offered per model second
 * for `seconds`: over 50 apps of one instance, then over one hot credential with 4 sub-counters;
 * then 400 calls against that credential's limit of 100, to count any over-admission.
 */
export const runPartitionBench = async (env: BenchEnv, seconds: number): Promise<PartitionModelResult> => {
  const virtual = env.virtualTime();
  const consume = async (appKey: string) =>
    (await virtual.invoke(env.prepare('POST', `${env.base}/quota-consumptions`, { app_key: appKey, cost: 1 })))
      .statusCode ?? 200;
  const credentials = async (name: string, count: number, callLimits: number, subcounters: number) => {
    const created = await env.call('POST', `${env.base}/app-quotas`, {
      name,
      call_limits: callLimits,
      time_unit: 'DAY',
      time_interval: 1,
      subcounters,
    });
    if (created.status !== 201) throw new Error(`partition bench quota: ${JSON.stringify(created.body)}`);
    const apps = await env.createApps(count, name);
    await env.bindAll(
      created.body.app_quota_id,
      apps.map((app) => app.appId),
    );
    const keys = apps.map((app) => app.appKey);
    // Windows open before the model runs: it measures the steady state.
    for (const key of keys) for (let n = 0; n < 2 * subcounters; n += 1) await consume(key);
    return keys;
  };
  const load = async (appKeys: readonly string[], calls = 1000 * seconds) =>
    runVirtualLoad({ client: virtual.db.client, budgetWcu: BUDGET_WCU, consume, appKeys, calls, startMs: START_MS });

  try {
    const instance = await load(await credentials('PartitionInstance', APPS, MAX_INT32, 1));
    const hot = await load(await credentials('PartitionHot', 1, MAX_INT32, SUBCOUNTERS));
    const limited = await load(await credentials('PartitionLimit', 1, 100, SUBCOUNTERS), 400);
    // The warm-up took 2 x SUBCOUNTERS of the 100 units.
    const overLimit = Math.max(0, limited.admitted + 2 * SUBCOUNTERS - 100);
    return {
      budget_wcu: BUDGET_WCU,
      offered_per_s: 1000,
      seconds,
      instance: { apps: APPS, ...measured(instance) },
      hot: { subcounters: SUBCOUNTERS, over_limit: overLimit, ...measured(hot) },
    };
  } finally {
    virtual.db.client.destroy();
  }
};
