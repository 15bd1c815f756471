import middy from '@middy/core';
import { quotaGuard } from '#guard/quota-guard.ts';
import type { ConsumeDeps } from '#use-cases/consume/consume.ts';
import { QuotaStateCache } from '#use-cases/consume/quota-state-cache.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import { type BenchEnv, pool } from './environment.ts';
import { round } from './stats.ts';

/** How much of the lease run to do. */
export interface GuardLeaseSizes {
  /** k. */
  readonly k: number;
  /** Guard instances sharing one credential, each with its own caches, as separate containers are. */
  readonly guards: number;
  readonly concurrency: number;
  /** Steady state: calls against an ample quota, after each guard's first lease. */
  readonly steadyCalls: number;
  /** Over-admission: calls against a small limit, from fresh guards. */
  readonly limit: number;
  readonly calls: number;
}

/** The `guard_lease` object of bench/results.json. */
export interface GuardLeaseResult {
  readonly k: number;
  readonly guards: number;
  readonly concurrency: number;
  /** Steady state: DynamoDB requests (every attempt) over admitted calls; at most 1/k. */
  readonly ddb_requests_per_admitted: number;
  readonly steady_calls: number;
  readonly steady_admitted: number;
  readonly steady_ddb_requests: number;
  /** Admitted beyond the limit, all guards together (0: never over-admits). */
  readonly over_admission: number;
  readonly limit: number;
  readonly calls: number;
  readonly admitted: number;
  /** Units of the limit not admitted although calls kept coming, and the stated bound, guards x (k-1). */
  readonly under_admission: number;
  readonly under_admission_bound: number;
  readonly errors: number;
}

type Event = { headers: Record<string, string> };

/** `count` guards with leases of k, each over the bench's table with caches of its own. */
const guardsOver = (env: BenchEnv, count: number, k: number) =>
  Array.from({ length: count }, () => {
    const deps: ConsumeDeps = {
      store: env.deps.store,
      clock: env.deps.clock,
      subcounters: new SubcounterCache(),
      quotaStates: new QuotaStateCache(),
    };
    return middy<Event, { statusCode: number }>()
      .use(
        quotaGuard({
          deps,
          projectId: env.projectId,
          instanceId: env.instanceId,
          appKeyFrom: (event: Event) => event.headers['x-app-key'],
          leases: { units: k },
        }),
      )
      .handler(async () => ({ statusCode: 200 }));
  });

/** Calls `guards` in turn, `concurrency` at a time, and counts the answers. */
const drive = async (guards: ReturnType<typeof guardsOver>, appKey: string, calls: number, concurrency: number) => {
  const counts = { admitted: 0, refused: 0, errors: 0 };
  await pool(calls, concurrency, async (index) => {
    const guarded = guards[index % guards.length];
    const result = await guarded?.({ headers: { 'x-app-key': appKey } }, {} as never);
    if (result?.statusCode === 200) counts.admitted += 1;
    else if (result?.statusCode === 429) counts.refused += 1;
    else counts.errors += 1;
  });
  return counts;
};

/**
 * The guard with leases on, `guards` instances sharing one credential: the steady state's DynamoDB
 * requests per admitted call (each guard's first take, which opens the window, is not counted),
 * then over- and under-admission against a small limit from fresh guards.
 */
export const runGuardLease = async (env: BenchEnv, sizes: GuardLeaseSizes): Promise<GuardLeaseResult> => {
  const { k, guards: count, concurrency } = sizes;
  const steadyQuota = await env.createQuota('BenchLeaseSteady', 2_000_000_000);
  const exactQuota = await env.createQuota('BenchLeaseLimit', sizes.limit);
  const [steadyApp, limitApp] = await env.createApps(2, 'lease');
  if (!steadyApp || !limitApp) throw new Error('no apps for the lease run');
  await env.bindAll(steadyQuota, [steadyApp.appId]);
  await env.bindAll(exactQuota, [limitApp.appId]);

  const steadyGuards = guardsOver(env, count, k);
  await drive(steadyGuards, steadyApp.appKey, count, 1);
  env.counter.reset();
  const steady = await drive(steadyGuards, steadyApp.appKey, sizes.steadyCalls, concurrency);
  const steadyRequests = env.counter.sent.length;

  const limited = await drive(guardsOver(env, count, k), limitApp.appKey, sizes.calls, concurrency);
  return {
    k,
    guards: count,
    concurrency,
    ddb_requests_per_admitted: round(steadyRequests / steady.admitted, 4),
    steady_calls: sizes.steadyCalls,
    steady_admitted: steady.admitted,
    steady_ddb_requests: steadyRequests,
    over_admission: Math.max(0, limited.admitted - sizes.limit),
    limit: sizes.limit,
    calls: sizes.calls,
    admitted: limited.admitted,
    under_admission: Math.max(0, sizes.limit - limited.admitted),
    under_admission_bound: count * (k - 1),
    errors: steady.errors + limited.errors,
  };
};
