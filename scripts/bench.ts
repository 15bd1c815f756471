/**
 * `npm run bench [-- --smoke] [-- --out FILE]`: what each operation costs on top of the DynamoDB
 * requests it needs, consume against rate-limiter-flexible's DynamoDB limiter, consume
 * throughput, consume through the partition model (against a budget of 100 WCU/s per partition
 * key: 50 apps of one instance offered more than their keys can take, one hot credential over 4
 * sub-counters, an exhausted credential flooded by 64 callers over 4 containers, and a 1-second
 * quota's window starts under load), and the deployed bundles' size and import time. One process: it starts its own
 * in-memory DynamoDB Local, composes the three functions as the deployment does and invokes them
 * with API Gateway events. Writes bench/results.json (or FILE), prints a table, and ends with
 * `bench: worst ratio R, consume ddb_requests N, peer ratio P, partition ratio R, hot ratio H`.
 *
 * `--smoke` (or BENCH_SMOKE=1) is a run of a few iterations for the test suite; BENCH_OUT also sets
 * the output file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LEASE_UNITS } from '#guard/leases.ts';
import { FUNCTION_NAMES } from '#routing/route-types.ts';
import { type BundleResult, type FirstCall, measureBundles } from './bench/bundles.ts';
import { BENCH_SECRET, type BenchEnv, startBenchEnv } from './bench/environment.ts';
import { type GuardLeaseResult, type GuardLeaseSizes, runGuardLease } from './bench/guard-lease.ts';
import { interleave, type OperationResult } from './bench/interleave.ts';
import { createConsumeFixture, operationBenches, type Sizes } from './bench/operations.ts';
import { type PartitionModelResult, runPartitionBench } from './bench/partition-bench.ts';
import { type PeerSizes, runPeer } from './bench/peer.ts';
import { type BenchResults, formatReport, summaryLine } from './bench/report.ts';
import { measureThroughput, type ThroughputLevel } from './bench/throughput.ts';
import { runCli } from './cli/cli.ts';

const COMMAND = {
  name: 'npm run bench',
  usage: 'usage: npm run bench [-- --smoke] [-- --out FILE]',
  help: `Measures what each operation costs on top of the DynamoDB requests it needs, throughput, the
partition model and the deployed bundles, against its own in-memory DynamoDB Local (about 3 minutes
on 2 cores). Writes bench/results.json (or FILE, or BENCH_OUT) and prints a table. --smoke (or
BENCH_SMOKE=1) runs a few iterations of each, for the test suite.`,
  config: { options: { smoke: { type: 'boolean', default: false }, out: { type: 'string' } } },
} as const;

await runCli(COMMAND, async ({ values }) => {
  const smoke = values.smoke || process.env.BENCH_SMOKE === '1';
  const repoRoot = fileURLToPath(new URL('../', import.meta.url));
  const outFile = resolve(values.out ?? process.env.BENCH_OUT ?? join(repoRoot, 'bench', 'results.json'));

  // Sized for about 3 minutes on 2 cores: the one-request operations get 200 timed pairs; bind 100
  // and the list of 1,000 take tens of milliseconds a call, so fewer (their p99 is near their max).
  const sizes: Sizes = smoke
    ? { fast: 6, fastWarmup: 2, bind100: 2, bind100Warmup: 1, list: 3, listWarmup: 1, listApps: 50 }
    : { fast: 200, fastWarmup: 20, bind100: 30, bind100Warmup: 3, list: 60, listWarmup: 5, listApps: 1000 };
  const peerSizes: PeerSizes = {
    iterations: smoke ? 6 : 200,
    warmup: smoke ? 2 : 20,
    limit: 100,
    calls: 400,
    concurrency: 32,
  };
  const leaseSizes: GuardLeaseSizes = {
    k: DEFAULT_LEASE_UNITS,
    guards: 4,
    concurrency: 32,
    steadyCalls: smoke ? 400 : 4000,
    limit: smoke ? 100 : 1000,
    calls: smoke ? 400 : 4000,
  };
  const THROUGHPUT_CONCURRENCY = [1, 8, 32];
  const throughputMs = smoke ? 300 : 4000;
  // Fresh processes per bundle and way: medians of many, the bundles interleaved (2 noisy cores).
  const importRuns = smoke ? 1 : 21;

  const started = performance.now();
  // Resource limits far above what the run creates (thousands of apps and quotas in one instance).
  const env: BenchEnv = await startBenchEnv({ appsPerInstance: 1_000_000, quotasPerInstance: 1_000_000 });
  const stopOnSignal = (signal: NodeJS.Signals) => {
    void env.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const operations: OperationResult[] = [];
  const throughput: ThroughputLevel[] = [];
  let peer: Awaited<ReturnType<typeof runPeer>>;
  let partitionModel: PartitionModelResult;
  let firstCall: FirstCall;
  let guardLease: GuardLeaseResult;
  try {
    const consumeFixture = await createConsumeFixture(env, Math.max(...THROUGHPUT_CONCURRENCY), 'BenchConsume');
    const [firstApp] = consumeFixture.apps;
    if (!firstApp) throw new Error('the consume fixture has no app');
    firstCall = {
      event: env.prepare('POST', `${env.base}/quota-consumptions`, { app_key: firstApp.appKey, cost: 1 }).event,
      jwtSecret: BENCH_SECRET,
    };
    for (const bench of operationBenches(env, sizes, consumeFixture)) {
      const result = await interleave(bench, env.counter);
      operations.push(result);
      console.error(
        `bench: ${result.op}: p50 ${result.p50_ms} ms, bare ${result.bare_p50_ms} ms, ratio ${result.ratio}`,
      );
    }
    peer = await runPeer(env, consumeFixture, peerSizes);
    guardLease = await runGuardLease(env, leaseSizes);
    console.error(
      `bench: guard with leases of ${guardLease.k}: ${guardLease.ddb_requests_per_admitted} DynamoDB requests per admitted call, over-admission ${guardLease.over_admission}`,
    );
    for (const concurrency of THROUGHPUT_CONCURRENCY) {
      throughput.push(await measureThroughput(env, consumeFixture, concurrency, throughputMs));
    }
    partitionModel = await runPartitionBench(
      env,
      smoke ? { steady: 1, flood: 2, windowStart: 11 } : { steady: 5, flood: 5, windowStart: 15 },
    );
  } finally {
    await env.stop();
  }

  // Bundled and imported once DynamoDB Local is gone, so the Java process does not compete for the CPU.
  const bundleDir = mkdtempSync(join(tmpdir(), 'credential-quota-bench-'));
  let bundles: Record<string, BundleResult>;
  try {
    bundles = await measureBundles(FUNCTION_NAMES, bundleDir, importRuns, firstCall);
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
  }

  const results: BenchResults = {
    operations,
    peer,
    guard_lease: guardLease,
    throughput: { consume: throughput },
    partition_model: partitionModel,
    bundles,
    meta: {
      node: process.version,
      date: new Date().toISOString(),
      smoke,
      iterations: Object.fromEntries([
        ...operations.map((row) => [row.op, row.iterations] as const),
        ['peer', peerSizes.iterations],
        ['import runs', importRuns],
      ]),
      list_bound_apps: sizes.listApps,
      cpus: cpus().length,
      duration_s: Math.round((performance.now() - started) / 1000),
    },
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatReport(results));
  console.log(`\nresults: ${outFile}`);
  console.log(summaryLine(results));
});
