import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { installPartitionModel, type PartitionModel } from '../../test/support/partition-model.ts';

/** What a load through the partition model came to. */
export interface PartitionLoadResult {
  readonly calls: number;
  readonly admitted: number;
  /** Answered 429: the quota was exhausted. */
  readonly refused: number;
  /** Answered anything else (503 after the SDK's retries were throttled too). */
  readonly failed: number;
  /** Requests the model throttled (each attempt counts). */
  readonly throttled: number;
  readonly seconds: number;
  readonly admitted_per_s: number;
  /** Admitted per second divided by one partition key's budget. */
  readonly ratio: number;
  /** The most WCU one partition key took in one second (never above the budget). */
  readonly peak_wcu_per_s: number;
}

/** How to drive it. */
export interface PartitionLoad {
  readonly model: PartitionModel;
  readonly budgetWcu: number;
  /** One consume with this app key; answers the HTTP status. */
  readonly consume: (appKey: string) => Promise<number>;
  /** The credentials the calls go to, in turn. */
  readonly appKeys: readonly string[];
  readonly concurrency: number;
  /** Whether to start another call, given how many started. */
  readonly more: (started: number) => boolean;
  /** Milliseconds since the load began, on the model's clock. */
  readonly elapsedMs: () => number;
  /** Runs before each call (a virtual clock moves on here). */
  readonly beforeCall?: () => void;
}

/**
 * Offers consume calls to the credentials in turn, `concurrency` at a time, while `more` says so,
 * and reports what was admitted per second of the model's clock against one partition's budget.
 */
export const runPartitionLoad = async (load: PartitionLoad): Promise<PartitionLoadResult> => {
  load.model.reset();
  let started = 0;
  let admitted = 0;
  let refused = 0;
  let failed = 0;
  const worker = async () => {
    while (load.more(started)) {
      const appKey = load.appKeys[started % load.appKeys.length] as string;
      started += 1;
      load.beforeCall?.();
      const status = await load.consume(appKey);
      if (status === 200) admitted += 1;
      else if (status === 429) refused += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: load.concurrency }, worker));
  const seconds = Math.max(load.elapsedMs(), 1) / 1000;
  const perSecond = admitted / seconds;
  return {
    calls: started,
    admitted,
    refused,
    failed,
    throttled: load.model.throttled,
    seconds: Math.round(seconds * 100) / 100,
    admitted_per_s: Math.round(perSecond),
    ratio: Math.round((perSecond / load.budgetWcu) * 100) / 100,
    peak_wcu_per_s: load.model.peakWcuPerSecond,
  };
};

/** A load offered on the model's virtual clock. */
export interface VirtualLoad {
  /** The client the consume route's store sends with (the model is installed on it for the run). */
  readonly client: DynamoDBDocumentClient;
  readonly budgetWcu: number;
  readonly consume: (appKey: string) => Promise<number>;
  readonly appKeys: readonly string[];
  /** Calls offered, evenly spaced on the model's clock. */
  readonly calls: number;
  /** Calls offered per second of the model's clock. @default 1000 (one per millisecond) */
  readonly offeredPerS?: number;
  /** Where the model's clock starts: a whole second. */
  readonly startMs: number;
  /** Folds partition keys together (to model a layout that shares one). */
  readonly partitionOf?: (pk: string) => string;
}

/** What a virtual-clock load came to, with the machine's own rate while it ran. */
export interface VirtualLoadResult extends PartitionLoadResult {
  /** Calls per second of wall clock: how fast this machine ran them, one at a time. */
  readonly wall_calls_per_s: number;
}

/**
 * Offers `calls` consumes, one at a time, `offeredPerS` per second of the model's clock: the same load
 * on any machine however busy, so the outcome is deterministic (the SDK's retries must not wait
 * real time, see `BenchEnv.virtualTime`). The model is installed for the run only.
 */
export const runVirtualLoad = async (load: VirtualLoad): Promise<VirtualLoadResult> => {
  const step = 1000 / (load.offeredPerS ?? 1000);
  // Each call's time from its index: adding a fraction of a millisecond to an epoch time thousands
  // of times would drift (doubles there are exact to ~0.0002 ms) and move calls across a second.
  let offered = 0;
  let now = load.startMs - step;
  const model = installPartitionModel(load.client, {
    wcuPerSecond: load.budgetWcu,
    now: () => now,
    ...(load.partitionOf ? { partitionOf: load.partitionOf } : {}),
  });
  const wallStart = Date.now();
  try {
    const result = await runPartitionLoad({
      model,
      budgetWcu: load.budgetWcu,
      consume: load.consume,
      appKeys: load.appKeys,
      concurrency: 1,
      more: (started) => started < load.calls,
      elapsedMs: () => offered * step,
      beforeCall: () => {
        now = load.startMs + offered * step;
        offered += 1;
      },
    });
    const wallSeconds = Math.max(1, Date.now() - wallStart) / 1000;
    return { ...result, wall_calls_per_s: Math.round(result.calls / wallSeconds) };
  } finally {
    model.remove();
  }
};
