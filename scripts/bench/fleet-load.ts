import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiResult } from '#http/api-types.ts';
import { installPartitionModel } from '../../test/support/partition-model.ts';
import type { PreparedCall } from './environment.ts';

/** A clock the bench moves by hand: the partition model and the containers read the same one. */
export interface VirtualClock {
  ms: number;
  now(): Date;
}

/** A virtual clock at `ms`. */
export const virtualClock = (ms: number): VirtualClock => {
  const clock: VirtualClock = { ms, now: () => new Date(clock.ms) };
  return clock;
};

/** A load offered by many callers to several containers on one virtual clock. */
export interface FleetLoad {
  /** The client every container sends with (the model is installed on it for the run). */
  readonly client: DynamoDBDocumentClient;
  readonly budgetWcu: number;
  /** The containers; caller `i` always calls container `i mod containers`. */
  readonly containers: ReadonlyArray<(call: PreparedCall) => Promise<ApiResult>>;
  /** Builds the consume every caller sends (a fresh event each time: the handler parses its body in place). */
  readonly call: () => PreparedCall;
  /** Callers, each with one call in flight at a time. */
  readonly callers: number;
  readonly offeredPerS: number;
  readonly seconds: number;
  /** The clock the containers read: it starts the run where it stands (a whole second). */
  readonly clock: VirtualClock;
}

/** What a fleet load came to. */
export interface FleetLoadResult {
  readonly calls: number;
  readonly admitted: number;
  /** Answered 429. */
  readonly refused: number;
  /** Answered anything else (503 after the SDK's retries were throttled too). */
  readonly failed: number;
  /** Attempts the model throttled. */
  readonly throttled: number;
  /** Every request that reached the model: charged ones and throttled attempts. */
  readonly ddbRequests: number;
  /** Admitted calls by the window they counted in (its end, as `reset_at` shows it). */
  readonly admittedByWindow: ReadonlyMap<string, number>;
  /** The model's clock when the run began and when its last call started. */
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Offers `offeredPerS x seconds` consumes from `callers` concurrent callers over the containers:
 * each call moves the shared virtual clock on by 1/offeredPerS s as it starts, so the offered
 * rate on the model's clock is exact whatever the machine, while up to `callers` calls are in
 * flight together (each container's concurrent calls meet in its memories, and all of them meet
 * on the table). SDK retries do not wait (see `BenchEnv.virtualTime`).
 */
export const runFleetLoad = async (load: FleetLoad): Promise<FleetLoadResult> => {
  const startMs = load.clock.ms;
  const step = 1000 / load.offeredPerS;
  const total = Math.round(load.offeredPerS * load.seconds);
  const model = installPartitionModel(load.client, { wcuPerSecond: load.budgetWcu, now: () => load.clock.ms });
  const admittedByWindow = new Map<string, number>();
  const counts = { started: 0, admitted: 0, refused: 0, failed: 0 };
  const caller = async (index: number) => {
    const container = load.containers[index % load.containers.length];
    if (!container) throw new Error('a fleet load needs a container');
    while (counts.started < total) {
      load.clock.ms = startMs + counts.started * step;
      counts.started += 1;
      const result = await container(load.call());
      const status = result.statusCode ?? 200;
      if (status === 200) {
        counts.admitted += 1;
        const window = String(JSON.parse(result.body ?? '{}').reset_at);
        admittedByWindow.set(window, (admittedByWindow.get(window) ?? 0) + 1);
      } else if (status === 429) counts.refused += 1;
      else counts.failed += 1;
      // A call answered from a container's memory never leaves the microtask queue: without a turn
      // of the event loop per call, DynamoDB's answers to the others would wait for the run's end.
      await new Promise((next) => setImmediate(next));
    }
  };
  try {
    await Promise.all(Array.from({ length: load.callers }, (_, index) => caller(index)));
    let charged = 0;
    for (const usage of model.byPartition.values()) charged += usage.requests;
    return {
      calls: counts.started,
      admitted: counts.admitted,
      refused: counts.refused,
      failed: counts.failed,
      throttled: model.throttled,
      ddbRequests: charged + model.throttled,
      admittedByWindow,
      startMs,
      endMs: load.clock.ms,
    };
  } finally {
    model.remove();
  }
};
