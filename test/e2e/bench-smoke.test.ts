import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { THROTTLED_MESSAGE } from '../support/partition-model.ts';

const run = promisify(execFile);

const OPERATIONS = ['create quota', 'bind 1', 'bind 100', 'list bound apps', 'show quota', 'consume', 'usage'];
/** The blocks the progress lines tell, in order. */
const BLOCKS = [
  'start DynamoDB Local and the functions',
  ...OPERATIONS.map((op) => `operation ${op}`),
  'consume against rate-limiter-flexible',
  'quotaGuard with leases of 10',
  'consume throughput, 1, 8, 32 callers',
  'partition model: 50 apps of one instance',
  'partition model: one hot credential, 4 sub-counters, then its limit',
  'partition model: flood of an exhausted credential',
  'partition model: window starts',
  'bundles: build, import, first call',
];
const NUMERIC_FIELDS = ['p50_ms', 'p99_ms', 'bare_p50_ms', 'ratio', 'ddb_requests'] as const;

describe('npm run bench -- --smoke', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The bench starts a DynamoDB Local of its own (another port than the suite's) and bundles the
  // three functions: a minute or two on a busy machine.
  it('measures every operation, counts one request per consume, admits exactly the limit, ends with its summary line, tells its progress per block and keeps the failures it causes on purpose out of its output', async () => {
    const out = join(dir, 'results.json');
    // As an operator's shell runs it: no LOG_LEVEL (the suite's SILENT would hide what leaks).
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'LOG_LEVEL'));
    const { stdout, stderr } = await run(process.execPath, ['scripts/bench.ts', '--smoke', '--out', out], {
      env: { ...env, BENCH_SMOKE: '1' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    });
    const results = JSON.parse(readFileSync(out, 'utf8'));

    expect(results.operations.map((row: { op: string }) => row.op)).toEqual(OPERATIONS);
    for (const row of results.operations) {
      for (const field of NUMERIC_FIELDS) {
        expect(Number.isFinite(row[field]), `${row.op} ${field}`).toBe(true);
        expect(row[field], `${row.op} ${field}`).toBeGreaterThan(0);
      }
      expect(row.bare_matches_store, `${row.op}: bare calls are the store's requests`).toBe(true);
      expect(row.bare_ddb_requests, row.op).toBe(row.ddb_requests);
    }
    const byOp = Object.fromEntries(results.operations.map((row: { op: string }) => [row.op, row]));
    expect(byOp.consume.ddb_requests).toBe(1);
    expect(byOp['show quota'].ddb_requests).toBe(1);
    // The quota and the apps read, then 100 apps (2 actions each) in 3 transactions of a split bind.
    expect(byOp['bind 100'].ddb_requests).toBe(5);
    expect(byOp.usage.ddb_requests).toBe(2);

    const over = results.peer.over_admission;
    expect(over.ours_admitted).toBe(over.limit);
    expect(over.ours_over).toBe(0);
    expect(over.ours_errors).toBe(0);
    expect(Number.isInteger(over.peer_admitted)).toBe(true);
    expect(Number.isFinite(results.peer.ratio)).toBe(true);

    expect(results.throughput.consume.map((level: { concurrency: number }) => level.concurrency)).toEqual([1, 8, 32]);
    for (const level of results.throughput.consume) expect(level.calls_per_s).toBeGreaterThan(0);
    for (const name of ['floor', 'registry', 'app-quotas', 'quota-consumptions']) {
      expect(results.bundles[name].bytes, name).toBeGreaterThan(0);
      expect(results.bundles[name].import_ms, name).toBeGreaterThan(0);
      expect(Number.isFinite(results.bundles[name].bytes_ratio_to_floor), name).toBe(true);
      expect(Number.isFinite(results.bundles[name].import_ratio_to_floor), name).toBe(true);
    }
    expect(results.bundles.floor).toMatchObject({ bytes_ratio_to_floor: 1, import_ratio_to_floor: 1 });
    for (const name of ['floor', 'quota-consumptions']) {
      expect(results.bundles[name].first_call_ms, name).toBeGreaterThan(0);
    }

    // Leases: on 4 guards with caches of their own, 32 calls at a time, one take per k admitted
    // calls at most, and never one call over the limit.
    const lease = results.guard_lease;
    expect(lease.k).toBe(10);
    expect(lease.guards).toBeGreaterThanOrEqual(4);
    expect(lease.concurrency).toBe(32);
    expect(lease.steady_admitted).toBe(lease.steady_calls);
    expect(lease.ddb_requests_per_admitted).toBeLessThanOrEqual(1 / lease.k);
    expect(lease.over_admission).toBe(0);
    expect(lease.admitted).toBeLessThanOrEqual(lease.limit);
    expect(lease.under_admission).toBeLessThanOrEqual(lease.under_admission_bound);
    expect(lease.errors).toBe(0);
    expect(results.meta).toMatchObject({ smoke: true, node: process.version });

    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(
      /^bench: worst ratio \d+\.\d{2}, consume ddb_requests 1, peer ratio \d+\.\d{2}, partition ratio \d+\.\d{2}, hot ratio \d+\.\d{2}$/,
    );
    const model = results.partition_model;
    expect(model.budget_wcu).toBe(100);
    // On the model's virtual clock the outcome does not depend on the machine: 6,000 calls a second
    // over 50 partitions, more than they take, admit 50 budgets' worth (the layout's bound, below
    // the offer); over 4 sub-counters, 4 budgets' worth.
    expect(model.instance).toMatchObject({ apps: 50, offered_per_s: 6000, offered_ratio: 60 });
    expect(model.instance).toMatchObject({ admitted_per_s: 5000, ratio: 50, failed: 1000 });
    expect(model.instance.offered_ratio).toBeGreaterThan(model.instance.ratio);
    expect(model.hot).toMatchObject({ subcounters: 4, over_limit: 0, admitted_per_s: 400, ratio: 4 });

    // The flood: an exhausted credential, 64 callers over 4 containers at 20x the budget: every
    // call answered 429, none failed or throttled, at most 0.05 DynamoDB requests per refusal.
    expect(model.flood.map((flood: { subcounters: number }) => flood.subcounters)).toEqual([1, 4]);
    for (const flood of model.flood) {
      expect(flood, `${flood.subcounters} sub-counter(s)`).toMatchObject({
        containers: 4,
        callers: 64,
        offered_per_s: 2000,
        refused_per_s: 2000,
        admitted: 0,
        failed: 0,
        throttled: 0,
      });
      expect(flood.ddb_requests_per_refusal, `${flood.subcounters} sub-counter(s)`).toBeLessThanOrEqual(0.05);
    }

    // Window starts: a 1-second quota no one opened before, 64 callers over 4 containers at 10x the
    // budget: each of at least 10 whole windows admits within 5% of min(limit, budget), never over.
    const starts = model.window_start;
    expect(starts).toMatchObject({ window_s: 1, containers: 4, callers: 64, offered_per_s: 1000, failed: 0 });
    expect(starts.target).toBe(Math.min(starts.limit, model.budget_wcu));
    expect(starts.windows).toBeGreaterThanOrEqual(10);
    expect(starts.admitted_per_window_min).toBeGreaterThanOrEqual(0.95 * starts.target);
    expect(starts.admitted_per_window_max).toBeLessThanOrEqual(starts.limit);
    expect(starts.over_limit).toBe(0);
    expect(stdout).toContain('flood, exhausted credential, 4 sub-counter(s)');
    expect(stdout).toContain('window starts, ');

    // Progress: one line per block on stderr, numbered in order, each done; stdout keeps the report.
    const progress = stderr
      .split('\n')
      .map((line) => /^bench: \[(\d+)\/(\d+)\] (.+) \.\.\. done in \d+\.\d s(: .+)?$/.exec(line))
      .filter((match) => match !== null);
    expect(progress.map((match) => match[3])).toEqual(BLOCKS);
    expect(progress.map((match) => `${match[1]}/${match[2]}`)).toEqual(
      BLOCKS.map((_, index) => `${index + 1}/${BLOCKS.length}`),
    );
    expect(stdout).not.toContain('bench: [');

    // The calls the partition model throttles fail on purpose: counted in one line, their log
    // lines in a file beside the results, none of them (nor any stack or SDK warning) in the output.
    const failedOnPurpose =
      model.instance.failed +
      model.hot.failed +
      model.flood.reduce((sum: number, flood: { failed: number }) => sum + flood.failed, 0) +
      starts.failed;
    expect(failedOnPurpose).toBeGreaterThan(0);
    const logFile = join(dir, 'results.functions.log');
    expect(stderr.split('\n')).toContain(
      `bench: ${failedOnPurpose} calls failed on purpose (throttled by the partition model); their log lines are in ${logFile}`,
    );
    const logged = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    expect(logged).toHaveLength(failedOnPurpose);
    for (const line of logged) {
      expect(JSON.parse(line)).toMatchObject({
        level: 'ERROR',
        message: 'dynamodb unavailable after retries',
        error: { name: 'ProvisionedThroughputExceededException', message: THROTTLED_MESSAGE },
      });
    }
    const output = `${stdout}\n${stderr}`;
    expect(output).not.toMatch(/^\s*\{/m);
    expect(output).not.toContain('"level":"ERROR"');
    expect(output).not.toContain('    at ');
    expect(output).not.toContain('JsonCodec');
  }, 300_000);
});
