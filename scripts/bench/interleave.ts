import { performance } from 'node:perf_hooks';
import type { RequestCounter } from './request-counter.ts';
import { median, mode, percentile, round } from './stats.ts';

/** A call ready to run: whatever it needs was built before, so only the call itself is timed. */
export type Call = () => Promise<unknown>;

/** One operation of the bench: its handler call and the bare DynamoDB calls it needs. */
export interface OperationBench {
  readonly op: string;
  readonly iterations: number;
  /** Untimed iterations first (at least 1: the first one also compares the bare calls' operations with the handler's). */
  readonly warmup: number;
  /** Creates what `warmup + iterations` handler and bare iterations use (each iteration its own, for writes). */
  prepare(total: number): Promise<void>;
  handler(index: number): Call;
  bare(index: number): Call;
}

/** One row of `operations` in bench/results.json. */
export interface OperationResult {
  readonly op: string;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly bare_p50_ms: number;
  readonly bare_p99_ms: number;
  /** Handler p50 over bare p50: what the function adds on top of the DynamoDB round trips it needs. */
  readonly ratio: number;
  /** DynamoDB requests per handler call (the usual count; every call is counted). */
  readonly ddb_requests: number;
  readonly bare_ddb_requests: number;
  /** The handler's requests, by operation, in sending order. */
  readonly ddb_operations: readonly string[];
  /**
   * Whether the bare calls send the DynamoDB operations the handler sends. Each bare request is
   * built by the store's own builder, so what this checks is that the bare calls compose those
   * requests as the operation does (no request missing, none added).
   */
  readonly bare_matches_store: boolean;
  readonly iterations: number;
}

const timed = async (call: Call, counter: RequestCounter): Promise<{ ms: number; requests: number }> => {
  counter.reset();
  const start = performance.now();
  await call();
  const ms = performance.now() - start;
  return { ms, requests: counter.sent.length };
};

// Sorted: the parallel reads of an operation may go out in either order.
const operations = (counter: RequestCounter): string[] => counter.sent.map((request) => request.operation).sort();

/**
 * Times an operation's handler and its bare calls in alternation (handler then bare, then bare
 * then handler, ...), so that whatever else the machine does at a given moment hits both alike
 * and neither always runs second on warmer caches. Every call's DynamoDB requests are counted.
 * `warn` tells when the bare calls send other requests than the handler.
 */
export const interleave = async (
  bench: OperationBench,
  counter: RequestCounter,
  warn: (text: string) => void,
): Promise<OperationResult> => {
  const total = bench.warmup + bench.iterations;
  await bench.prepare(total);

  counter.reset();
  await bench.handler(0)();
  const handlerOperations = operations(counter);
  const ddbOperations = counter.sent.map((request) => request.operation);
  counter.reset();
  await bench.bare(0)();
  const bareOperations = operations(counter);
  const matches = JSON.stringify(handlerOperations) === JSON.stringify(bareOperations);
  if (!matches) {
    warn(
      [
        `bench: ${bench.op}: the bare calls send other requests than the handler`,
        `  handler: ${handlerOperations.join(', ')}`,
        `  bare:    ${bareOperations.join(', ')}`,
      ].join('\n'),
    );
  }
  for (let index = 1; index < bench.warmup; index += 1) {
    await bench.handler(index)();
    await bench.bare(index)();
  }

  const handlerMs: number[] = [];
  const bareMs: number[] = [];
  const handlerRequests: number[] = [];
  const bareRequests: number[] = [];
  for (let n = 0; n < bench.iterations; n += 1) {
    const index = bench.warmup + n;
    const handler = bench.handler(index);
    const bare = bench.bare(index);
    const runHandler = async () => {
      const { ms, requests } = await timed(handler, counter);
      handlerMs.push(ms);
      handlerRequests.push(requests);
    };
    const runBare = async () => {
      const { ms, requests } = await timed(bare, counter);
      bareMs.push(ms);
      bareRequests.push(requests);
    };
    if (n % 2 === 0) {
      await runHandler();
      await runBare();
    } else {
      await runBare();
      await runHandler();
    }
  }
  const p50 = median(handlerMs);
  const bareP50 = median(bareMs);
  return {
    op: bench.op,
    p50_ms: round(p50),
    p99_ms: round(percentile(handlerMs, 99)),
    bare_p50_ms: round(bareP50),
    bare_p99_ms: round(percentile(bareMs, 99)),
    ratio: round(p50 / bareP50, 2),
    ddb_requests: mode(handlerRequests),
    bare_ddb_requests: mode(bareRequests),
    ddb_operations: ddbOperations,
    bare_matches_store: matches,
    iterations: bench.iterations,
  };
};
