import type { BundleResult } from './bundles.ts';
import type { GuardLeaseResult } from './guard-lease.ts';
import type { OperationResult } from './interleave.ts';
import type { PartitionModelResult } from './partition-bench.ts';
import type { PeerResult } from './peer.ts';
import { fixed } from './stats.ts';
import type { ThroughputLevel } from './throughput.ts';

/** Everything bench/results.json holds. */
export interface BenchResults {
  readonly operations: readonly OperationResult[];
  readonly peer: PeerResult;
  readonly guard_lease: GuardLeaseResult;
  readonly throughput: { readonly consume: readonly ThroughputLevel[] };
  readonly partition_model: PartitionModelResult;
  readonly bundles: Readonly<Record<string, BundleResult>>;
  readonly meta: {
    readonly node: string;
    readonly date: string;
    readonly smoke: boolean;
    readonly iterations: Readonly<Record<string, number>>;
    readonly list_bound_apps: number;
    readonly cpus: number;
    readonly duration_s: number;
  };
}

const pad = (cells: readonly (string | number)[], widths: readonly number[]): string =>
  cells
    .map((cell, index) =>
      index === 0 ? String(cell).padEnd(widths[index] ?? 0) : String(cell).padStart(widths[index] ?? 0),
    )
    .join('  ');

/** The human-readable report: the operations table, then the peer, throughput and bundles. */
export const formatReport = (results: BenchResults): string => {
  const lines: string[] = [];
  const widths = [22, 8, 8, 9, 9, 6, 8, 6];
  lines.push(pad(['operation', 'p50 ms', 'p99 ms', 'bare p50', 'bare p99', 'ratio', 'ddb req', 'iters'], widths));
  for (const row of results.operations) {
    const name = row.op === 'list bound apps' ? `list bound (${results.meta.list_bound_apps})` : row.op;
    lines.push(
      pad(
        [
          name + (row.bare_matches_store ? '' : ' *'),
          fixed(row.p50_ms),
          fixed(row.p99_ms),
          fixed(row.bare_p50_ms),
          fixed(row.bare_p99_ms),
          fixed(row.ratio),
          row.ddb_requests === row.bare_ddb_requests
            ? row.ddb_requests
            : `${row.ddb_requests}/${row.bare_ddb_requests}`,
          row.iterations,
        ],
        widths,
      ),
    );
  }
  if (results.operations.some((row) => !row.bare_matches_store)) {
    lines.push('* the bare calls sent other requests than the handler (see the warning above)');
  }
  const { peer } = results;
  const over = peer.over_admission;
  lines.push(
    '',
    `consume vs ${peer.library} (same DynamoDB Local, one call at a time, ${peer.iterations} each):`,
    `  ours in-process (quotaGuard) p50 ${fixed(peer.ours_p50_ms)} ms, p99 ${fixed(peer.ours_p99_ms)} ms, ${peer.ours_ddb_requests} request(s)`,
    `  ours via the route            p50 ${fixed(peer.ours_handler_p50_ms)} ms`,
    `  peer                          p50 ${fixed(peer.peer_p50_ms)} ms, p99 ${fixed(peer.peer_p99_ms)} ms, ${peer.peer_ddb_requests} request(s)`,
    `  ratio ours/peer p50: ${fixed(peer.ratio)} in-process, ${fixed(peer.handler_ratio)} via the route`,
    `  over-admission, ${over.calls} calls ${over.concurrency} at a time, limit ${over.limit}: ours admitted ${over.ours_admitted} (+${over.ours_over}, ${over.ours_errors} errors), peer admitted ${over.peer_admitted} (+${over.peer_over}, ${over.peer_errors} errors)`,
    '',
    `quotaGuard with leases of ${results.guard_lease.k}, ${results.guard_lease.guards} guards (own caches) on one credential, ${results.guard_lease.concurrency} calls at a time:`,
    `  steady state: ${results.guard_lease.steady_ddb_requests} DynamoDB requests for ${results.guard_lease.steady_admitted} admitted = ${results.guard_lease.ddb_requests_per_admitted} per admitted call (1/k = ${fixed(1 / results.guard_lease.k, 4)})`,
    `  limit ${results.guard_lease.limit}, ${results.guard_lease.calls} calls: admitted ${results.guard_lease.admitted}, over-admission ${results.guard_lease.over_admission}, under-admission ${results.guard_lease.under_admission} (bound ${results.guard_lease.under_admission_bound}), ${results.guard_lease.errors} errors`,
    '',
    'consume throughput (route, one process, a credential per caller):',
  );
  for (const level of results.throughput.consume) {
    lines.push(
      `  ${String(level.concurrency).padStart(2)} callers: ${String(level.calls_per_s).padStart(5)} calls/s, p50 ${fixed(level.p50_ms)} ms, ${level.calls} calls${level.non_200 ? `, ${level.non_200} not 200` : ''}`,
    );
  }
  lines.push('', ...partitionLines(results.partition_model));
  lines.push(
    '',
    'bundles (esbuild as the stack: ESM, minified, node24, AWS SDK bundled; floor: the document client sending one UpdateItem):',
  );
  for (const [name, bundle] of Object.entries(results.bundles)) {
    const first =
      bundle.first_call_ms === undefined
        ? ''
        : `, import + first call ${fixed(bundle.first_call_ms, 1)} ms (${fixed(bundle.first_call_ratio_to_floor ?? Number.NaN)}x)`;
    lines.push(
      `  ${name.padEnd(19)} ${String(bundle.bytes).padStart(9)} bytes (${fixed(bundle.bytes_ratio_to_floor)}x the floor), import ${fixed(bundle.import_ms, 1)} ms (${fixed(bundle.import_ratio_to_floor)}x), with --enable-source-maps ${fixed(bundle.import_ms_source_maps, 1)} ms${first}`,
    );
  }
  return lines.join('\n');
};

/** The partition model's block of the report. */
const partitionLines = (pm: PartitionModelResult): string[] => {
  const ws = pm.window_start;
  return [
    `consume through the partition model (${pm.budget_wcu} WCU/s per partition key, on the model's clock; one call at a time for ${pm.seconds} s):`,
    `  ${pm.instance.apps} apps of one instance: offered ${pm.instance.offered_per_s}/s = ${fixed(pm.instance.offered_ratio)} x the budget, admitted ${pm.instance.admitted_per_s}/s = ${fixed(pm.instance.ratio)} x, ${pm.instance.throttled} throttled, ${pm.instance.failed} failed (machine: ${pm.instance.wall_calls_per_s} calls/s)`,
    `  one hot credential, ${pm.hot.subcounters} sub-counters: offered ${pm.hot.offered_per_s}/s = ${fixed(pm.hot.offered_ratio)} x, admitted ${pm.hot.admitted_per_s}/s = ${fixed(pm.hot.ratio)} x the budget, ${pm.hot.throttled} throttled, ${pm.hot.failed} failed, ${pm.hot.over_limit} over its limit`,
    ...pm.flood.map(
      (flood) =>
        `  flood, exhausted credential, ${flood.subcounters} sub-counter(s), ${flood.callers} callers over ${flood.containers} containers, ${flood.offered_per_s}/s for ${flood.seconds} s: ${flood.refused_per_s} refused/s, ${flood.admitted} admitted, ${flood.failed} failed, ${flood.throttled} throttled, ${flood.ddb_requests} DynamoDB requests = ${fixed(flood.ddb_requests_per_refusal, 4)} per refusal`,
    ),
    `  window starts, ${ws.limit} per ${ws.window_s} s, ${ws.callers} callers over ${ws.containers} containers, ${ws.offered_per_s}/s for ${ws.seconds} s: ${ws.windows} whole windows admitted ${ws.admitted_per_window_min}-${ws.admitted_per_window_max} each (target ${ws.target}), ${ws.over_limit} over the limit, ${ws.failed} failed, ${ws.throttled} throttled, ${ws.ddb_requests} DynamoDB requests`,
  ];
};

/** The one-line summary the bench ends with. */
export const summaryLine = (results: BenchResults): string => {
  const worst = Math.max(...results.operations.map((row) => row.ratio));
  const consume = results.operations.find((row) => row.op === 'consume');
  return (
    `bench: worst ratio ${worst.toFixed(2)}, consume ddb_requests ${consume?.ddb_requests ?? 'n/a'}, ` +
    `peer ratio ${results.peer.ratio.toFixed(2)}, partition ratio ${results.partition_model.instance.ratio.toFixed(2)}, ` +
    `hot ratio ${results.partition_model.hot.ratio.toFixed(2)}`
  );
};
