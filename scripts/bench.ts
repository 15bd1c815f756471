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
 * Progress goes to stderr, one line per block; the functions' own log lines go to a file beside the
 * results (bench/results.functions.log): the calls the partition model throttles fail on purpose
 * and are counted, and any other warning or error the functions log fails the run.
 *
 * `--smoke` (or BENCH_SMOKE=1) is a run of a few iterations for the test suite; BENCH_OUT also sets
 * the output file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LEASE_UNITS } from '#guard/leases.ts';
import { FUNCTION_NAMES } from '#routing/route-types.ts';
import { type BundleResult, type FirstCall, measureBundles } from './bench/bundles.ts';
import { BENCH_SECRET, startBenchEnv } from './bench/environment.ts';
import { keepFunctionLog } from './bench/function-log.ts';
import { type GuardLeaseResult, type GuardLeaseSizes, runGuardLease } from './bench/guard-lease.ts';
import { interleave, type OperationResult } from './bench/interleave.ts';
import { createConsumeFixture, OPERATIONS, operationBenches, type Sizes } from './bench/operations.ts';
import { PARTITION_BLOCKS, type PartitionModelResult, runPartitionBench } from './bench/partition-bench.ts';
import { type PeerSizes, runPeer } from './bench/peer.ts';
import { progressOf } from './bench/progress.ts';
import { type BenchResults, formatReport, summaryLine } from './bench/report.ts';
import { fixed } from './bench/stats.ts';
import { measureThroughput, type ThroughputLevel } from './bench/throughput.ts';
import { runCli } from './cli/cli.ts';

const COMMAND = {
  name: 'npm run bench',
  usage: 'usage: npm run bench [-- --smoke] [-- --out FILE]',
  help: `Measures what each operation costs on top of the DynamoDB requests it needs, throughput, the
partition model and the deployed bundles, against its own in-memory DynamoDB Local (5 to 6 minutes
on 2 cores). Writes bench/results.json (or FILE, or BENCH_OUT) and prints a table on stdout, and
one progress line per block on stderr. The functions' log lines go to a file beside the results
(bench/results.functions.log). --smoke (or BENCH_SMOKE=1) runs a few iterations of each, for the
test suite.`,
  config: { options: { smoke: { type: 'boolean', default: false }, out: { type: 'string' } } },
} as const;

await runCli(COMMAND, async ({ values }) => {
  const smoke = values.smoke || process.env.BENCH_SMOKE === '1';
  const repoRoot = fileURLToPath(new URL('../', import.meta.url));
  const outFile = resolve(values.out ?? process.env.BENCH_OUT ?? join(repoRoot, 'bench', 'results.json'));

  // Sized for 5 to 6 minutes on 2 cores: the one-request operations get 200 timed pairs; bind 100
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
  mkdirSync(dirname(outFile), { recursive: true });
  const log = keepFunctionLog(join(dirname(outFile), `${basename(outFile, extname(outFile))}.functions.log`));
  // DynamoDB Local, the operations, the peer, the leases, throughput, the partition model, the bundles.
  const blocks = 1 + OPERATIONS.length + 1 + 1 + 1 + Object.keys(PARTITION_BLOCKS).length + 1;
  const progress = progressOf(blocks, {
    check: log.check,
    onFailure: `the functions' log lines are in ${log.file}`,
  });
  const { block } = progress;
  // Resource limits far above what the run creates (thousands of apps and quotas in one instance).
  const env = await block('start DynamoDB Local and the functions', () =>
    startBenchEnv({ appsPerInstance: 1_000_000, quotasPerInstance: 1_000_000 }),
  );
  const stopOnSignal = (signal: NodeJS.Signals) => {
    progress.note(`bench: ${signal}, stopping DynamoDB Local`);
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
      operations.push(
        await block(
          `operation ${bench.op}`,
          () => interleave(bench, env.counter, progress.note),
          (result) =>
            `p50 ${fixed(result.p50_ms)} ms, bare ${fixed(result.bare_p50_ms)} ms, ratio ${fixed(result.ratio)}`,
        ),
      );
    }
    peer = await block(
      'consume against rate-limiter-flexible',
      () => runPeer(env, consumeFixture, peerSizes),
      (result) => `ratio ours/peer ${fixed(result.ratio)}, over-admission +${result.over_admission.ours_over}`,
    );
    guardLease = await block(
      `quotaGuard with leases of ${leaseSizes.k}`,
      () => runGuardLease(env, leaseSizes),
      (result) =>
        `${result.ddb_requests_per_admitted} DynamoDB requests per admitted call, over-admission ${result.over_admission}`,
    );
    await block(
      `consume throughput, ${THROUGHPUT_CONCURRENCY.join(', ')} callers`,
      async () => {
        for (const concurrency of THROUGHPUT_CONCURRENCY) {
          throughput.push(await measureThroughput(env, consumeFixture, concurrency, throughputMs));
        }
      },
      () => `${throughput.map((level) => level.calls_per_s).join(', ')} calls/s`,
    );
    partitionModel = await runPartitionBench(
      env,
      smoke ? { steady: 1, flood: 2, windowStart: 11 } : { steady: 5, flood: 5, windowStart: 15 },
      block,
    );
  } finally {
    await env.stop();
  }

  // Bundled and imported once DynamoDB Local is gone, so the Java process does not compete for the CPU.
  const bundleDir = mkdtempSync(join(tmpdir(), 'credential-quota-bench-'));
  let bundles: Record<string, BundleResult>;
  try {
    bundles = await block(
      'bundles: build, import, first call',
      () => measureBundles(FUNCTION_NAMES, bundleDir, importRuns, firstCall),
      ({ 'quota-consumptions': dataPlane }) =>
        dataPlane
          ? `quota-consumptions ${fixed(dataPlane.bytes_ratio_to_floor)}x the floor's bytes, import ${fixed(dataPlane.import_ratio_to_floor)}x`
          : '',
    );
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
  }
  progress.note(
    `bench: ${log.throttled} calls failed on purpose (throttled by the partition model); their log lines are in ${log.file}`,
  );

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
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatReport(results));
  console.log(`\nresults: ${outFile}`);
  console.log(summaryLine(results));
});
