import { MAX_INT32 } from '#schemas/quota-bodies.ts';
import type { BenchEnv } from './environment.ts';
import { type FloodResult, runFloodBench } from './flood-bench.ts';
import { runVirtualLoad, type VirtualLoadResult } from './partition-load.ts';
import type { RunBlock } from './progress.ts';
import { fixed } from './stats.ts';
import { runWindowStartBench, type WindowStartResult } from './window-start-bench.ts';

/** One partition key's budget in the model: DynamoDB's 1,000 WCU/s scaled down 10x. */
export const BUDGET_WCU = 100;

type Measured = Pick<VirtualLoadResult, 'admitted_per_s' | 'ratio' | 'failed' | 'throttled' | 'wall_calls_per_s'> & {
  /** Calls offered per second of the model's clock, and that divided by one key's budget. */
  readonly offered_per_s: number;
  readonly offered_ratio: number;
};

/** What bench/results.json's `partition_model` holds. */
export interface PartitionModelResult {
  readonly budget_wcu: number;
  /** Model seconds the instance and hot blocks ran. */
  readonly seconds: number;
  readonly instance: { readonly apps: number } & Measured;
  readonly hot: {
    readonly subcounters: number;
    /** Units admitted past the limit when 400 calls met a limit of 100 through the model (must be 0). */
    readonly over_limit: number;
  } & Measured;
  /** An exhausted credential flooded by 64 callers over 4 containers at 20x the budget, per sub-counter count. */
  readonly flood: readonly FloodResult[];
  /** A 1-second quota's windows opened under 64 callers over 4 containers at 10x the budget. */
  readonly window_start: WindowStartResult;
}

/** How long each block runs, in model seconds. */
export interface PartitionBenchSeconds {
  readonly steady: number;
  readonly flood: number;
  readonly windowStart: number;
}

const APPS = 50;
const SUBCOUNTERS = 4;
/** 60x one key's budget over 50 keys: more than the layout's 50x, so the layout bounds the ratio. */
const INSTANCE_OFFERED_PER_S = 60 * BUDGET_WCU;
const HOT_OFFERED_PER_S = 10 * BUDGET_WCU;
/**
 * The window-start block's limit: each window's writes are its admissions, the failed updates of
 * the calls in flight when it runs out (up to 63 of 64 callers) and the openings (two writes per
 * container at most), and they must fit one key's budget of 100: 20 + 63 + 8 = 91.
 */
const WINDOW_START_LIMIT = 20;
const START_MS = Date.parse('2026-11-23T07:00:00.000Z');

/** The blocks the partition model runs in, in order, as the progress lines name them. */
export const PARTITION_BLOCKS = {
  instance: `partition model: ${APPS} apps of one instance`,
  hot: `partition model: one hot credential, ${SUBCOUNTERS} sub-counters, then its limit`,
  flood: 'partition model: flood of an exhausted credential',
  windowStart: 'partition model: window starts',
} as const;

const measured = (result: VirtualLoadResult, offeredPerS: number): Measured => ({
  offered_per_s: offeredPerS,
  offered_ratio: offeredPerS / BUDGET_WCU,
  admitted_per_s: result.admitted_per_s,
  ratio: result.ratio,
  failed: result.failed,
  throttled: result.throttled,
  wall_calls_per_s: result.wall_calls_per_s,
});

/**
 * Consume through the partition model on its virtual clock: 6,000 calls offered per model second
 * over 50 apps of one instance (more than their 50 keys can take), 1,000 over one hot credential
 * with 4 sub-counters, then 400 calls against that credential's limit of 100, to count any
 * over-admission; then the flood and the window-start blocks (see their modules). Each of
 * {@link PARTITION_BLOCKS} runs as a `block` of the run.
 */
export const runPartitionBench = async (
  env: BenchEnv,
  seconds: PartitionBenchSeconds,
  block: RunBlock,
): Promise<PartitionModelResult> => {
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
  const load = async (appKeys: readonly string[], offeredPerS: number, calls = offeredPerS * seconds.steady) =>
    runVirtualLoad({
      client: virtual.db.client,
      budgetWcu: BUDGET_WCU,
      consume,
      appKeys,
      calls,
      offeredPerS,
      startMs: START_MS,
    });

  try {
    const instance = await block(
      PARTITION_BLOCKS.instance,
      async () => load(await credentials('PartitionInstance', APPS, MAX_INT32, 1), INSTANCE_OFFERED_PER_S),
      (run) => `admitted ${fixed(run.ratio)} x the budget, ${run.failed} calls failed on purpose (throttled)`,
    );
    const { hot, overLimit } = await block(
      PARTITION_BLOCKS.hot,
      async () => {
        const hot = await load(await credentials('PartitionHot', 1, MAX_INT32, SUBCOUNTERS), HOT_OFFERED_PER_S);
        const limited = await load(await credentials('PartitionLimit', 1, 100, SUBCOUNTERS), HOT_OFFERED_PER_S, 400);
        // The warm-up took 2 x SUBCOUNTERS of the 100 units.
        return { hot, overLimit: Math.max(0, limited.admitted + 2 * SUBCOUNTERS - 100) };
      },
      (run) =>
        `admitted ${fixed(run.hot.ratio)} x the budget, ${run.hot.failed} calls failed on purpose (throttled), ${run.overLimit} over its limit`,
    );
    const flood = await block(
      PARTITION_BLOCKS.flood,
      () =>
        runFloodBench(env, {
          budgetWcu: BUDGET_WCU,
          offeredPerS: 20 * BUDGET_WCU,
          seconds: seconds.flood,
          startMs: START_MS,
          subcounters: [1, SUBCOUNTERS],
        }),
      (runs) =>
        runs
          .map(
            (run) =>
              `${run.subcounters} sub-counter(s): ${run.failed} failed, ${fixed(run.ddb_requests_per_refusal, 4)} DynamoDB requests per refusal`,
          )
          .join('; '),
    );
    const windowStart = await block(
      PARTITION_BLOCKS.windowStart,
      () =>
        runWindowStartBench(env, {
          budgetWcu: BUDGET_WCU,
          limit: WINDOW_START_LIMIT,
          offeredPerS: 10 * BUDGET_WCU,
          seconds: seconds.windowStart,
          startMs: START_MS,
        }),
      (run) =>
        `${run.windows} whole windows admitted ${run.admitted_per_window_min}-${run.admitted_per_window_max} each (target ${run.target}), ${run.failed} failed`,
    );
    return {
      budget_wcu: BUDGET_WCU,
      seconds: seconds.steady,
      instance: { apps: APPS, ...measured(instance, INSTANCE_OFFERED_PER_S) },
      hot: { subcounters: SUBCOUNTERS, over_limit: overLimit, ...measured(hot, HOT_OFFERED_PER_S) },
      flood,
      window_start: windowStart,
    };
  } finally {
    virtual.db.client.destroy();
  }
};
