import { performance } from 'node:perf_hooks';
import type { BenchEnv } from './environment.ts';
import type { ConsumeFixture } from './operations.ts';
import { median, round } from './stats.ts';

/** Consume throughput at one level of concurrency. */
export interface ThroughputLevel {
  readonly concurrency: number;
  readonly calls: number;
  readonly calls_per_s: number;
  readonly p50_ms: number;
  readonly non_200: number;
}

/**
 * Our consume route's throughput with `concurrency` callers, each with its own credential (a
 * gateway's many clients), calling back to back for `durationMs`: calls completed per second of
 * wall clock, in this one process (one Lambda container would serve one call at a time; this is
 * what one Node process and the table take).
 */
export const measureThroughput = async (
  env: BenchEnv,
  fixture: ConsumeFixture,
  concurrency: number,
  durationMs: number,
): Promise<ThroughputLevel> => {
  const latencies: number[] = [];
  let non200 = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const worker = async (index: number) => {
    const app = fixture.apps[index % fixture.apps.length];
    if (!app) throw new Error('the consume fixture has no app');
    while (performance.now() < deadline) {
      const call = env.prepare('POST', `${env.base}/quota-consumptions`, { app_key: app.appKey, cost: 1 });
      const begin = performance.now();
      const result = await env.invoke(call);
      latencies.push(performance.now() - begin);
      if (result.statusCode !== 200) non200 += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  const elapsed = performance.now() - start;
  return {
    concurrency,
    calls: latencies.length,
    calls_per_s: Math.round((latencies.length / elapsed) * 1000),
    p50_ms: round(median(latencies)),
    non_200: non200,
  };
};
