import { newId } from '#domain/ids.ts';
import type { App } from '#domain/models.ts';
import { MAX_INT32 } from '#schemas/quota-bodies.ts';
import * as bare from './bare-calls.ts';
import type { BenchEnv } from './environment.ts';
import type { Call, OperationBench } from './interleave.ts';

/** How much of each operation a run does. */
export interface Sizes {
  /** Iterations of the one-request operations and bind 1. */
  readonly fast: number;
  readonly fastWarmup: number;
  readonly bind100: number;
  readonly bind100Warmup: number;
  readonly list: number;
  readonly listWarmup: number;
  /** Bound apps on the listed quota. */
  readonly listApps: number;
}

/** An app ready to consume from: bound to a quota with a limit no run reaches, window open, key cached. */
export interface ConsumeFixture {
  readonly quotaId: string;
  readonly apps: readonly App[];
}

const expectStatus = async (
  env: BenchEnv,
  call: ReturnType<BenchEnv['prepare']>,
  status: number,
  what: string,
): Promise<void> => {
  const result = await env.invoke(call);
  if (result.statusCode !== status) {
    throw new Error(`${what}: expected ${status}, got ${result.statusCode} ${result.body ?? ''}`);
  }
};

/** The handler call of `method url body`, checked for `status`; the event is built now, outside the timing. */
const handlerCall = (env: BenchEnv, method: string, url: string, body: unknown, status: number, what: string): Call => {
  const call = env.prepare(method, url, body);
  return () => expectStatus(env, call, status, what);
};

/**
 * `count` apps bound to one quota whose limit (2^31 - 1 a day) no run reaches, each with its
 * window open and its key in the container's cache: consume's steady state.
 */
export const createConsumeFixture = async (env: BenchEnv, count: number, name: string): Promise<ConsumeFixture> => {
  const quotaId = await env.createQuota(name, MAX_INT32);
  const apps = await env.createApps(count, name);
  await env.bindAll(
    quotaId,
    apps.map((app) => app.appId),
  );
  for (const app of apps) {
    await expectStatus(
      env,
      env.prepare('POST', `${env.base}/quota-consumptions`, { app_key: app.appKey, cost: 1 }),
      200,
      'first consume',
    );
  }
  return { quotaId, apps };
};

/** The operations of the bench, in report order. */
export const OPERATIONS = [
  'create quota',
  'bind 1',
  'bind 100',
  'list bound apps',
  'show quota',
  'consume',
  'usage',
] as const;

/** One of {@link OPERATIONS}. */
export type OperationName = (typeof OPERATIONS)[number];

/** The benches of {@link OPERATIONS}, in that order. */
export const operationBenches = (env: BenchEnv, sizes: Sizes, consumeFixture: ConsumeFixture): OperationBench[] => {
  const { db, base } = env;
  const scope = { projectId: env.projectId, instanceId: env.instanceId };
  const maxQuotas = env.deps.limits.quotasPerInstance;

  const bindBench = (
    op: OperationName,
    perCall: number,
    iterations: number,
    warmup: number,
  ): Omit<OperationBench, 'op'> => {
    let quotaId = '';
    let handlerApps: App[] = [];
    let bareApps: App[] = [];
    const idsOf = (apps: readonly App[], index: number) =>
      apps.slice(index * perCall, (index + 1) * perCall).map((app) => app.appId);
    return {
      iterations,
      warmup,
      prepare: async (total) => {
        quotaId = await env.createQuota(`Bench_${op.replaceAll(' ', '_')}`, 1000);
        handlerApps = await env.createApps(total * perCall, `${op.replaceAll(' ', '-')}-h`);
        bareApps = await env.createApps(total * perCall, `${op.replaceAll(' ', '-')}-b`);
      },
      handler: (index) =>
        handlerCall(
          env,
          'POST',
          `${base}/app-quotas/${quotaId}/binding-apps`,
          { app_ids: idsOf(handlerApps, index) },
          201,
          op,
        ),
      bare: (index) => {
        const ids = idsOf(bareApps, index);
        return () => bare.bindApps(db, scope, quotaId, ids);
      },
    };
  };

  let listQuotaId = '';
  let showQuotaId = '';
  const [consumeApp] = consumeFixture.apps;
  if (!consumeApp) throw new Error('the consume fixture has no app');

  const benches: Record<OperationName, Omit<OperationBench, 'op'>> = {
    'create quota': {
      iterations: sizes.fast,
      warmup: sizes.fastWarmup,
      prepare: async () => undefined,
      handler: (index) =>
        handlerCall(
          env,
          'POST',
          `${base}/app-quotas`,
          { name: `BenchCreateH${index}`, call_limits: 1000, time_unit: 'DAY', time_interval: 1 },
          201,
          'create quota',
        ),
      bare: (index) => () =>
        bare.createQuota(
          db,
          scope,
          { quotaId: newId(), name: `BenchCreateB${index}`, callLimits: 1000, timeUnit: 'DAY', timeInterval: 1 },
          maxQuotas,
        ),
    },
    'bind 1': bindBench('bind 1', 1, sizes.fast, sizes.fastWarmup),
    'bind 100': bindBench('bind 100', 100, sizes.bind100, sizes.bind100Warmup),
    'list bound apps': {
      iterations: sizes.list,
      warmup: sizes.listWarmup,
      prepare: async () => {
        listQuotaId = await env.createQuota('BenchList', 1000);
        const apps = await env.createApps(sizes.listApps, 'list');
        await env.bindAll(
          listQuotaId,
          apps.map((app) => app.appId),
        );
        const page = await env.call('GET', `${base}/app-quotas/${listQuotaId}/bound-apps?offset=0&limit=20`);
        if (page.body?.total !== sizes.listApps) throw new Error(`list set-up: ${page.body?.total} bound apps`);
      },
      handler: () =>
        handlerCall(
          env,
          'GET',
          `${base}/app-quotas/${listQuotaId}/bound-apps?offset=0&limit=20`,
          undefined,
          200,
          'list bound apps',
        ),
      bare: () => async () => {
        const count = await bare.listBoundApps(db, scope, listQuotaId);
        if (count !== sizes.listApps) throw new Error(`bare list: ${count} items`);
      },
    },
    'show quota': {
      iterations: sizes.fast,
      warmup: sizes.fastWarmup,
      prepare: async () => {
        showQuotaId = await env.createQuota('BenchShow', 1000);
      },
      handler: () => handlerCall(env, 'GET', `${base}/app-quotas/${showQuotaId}`, undefined, 200, 'show quota'),
      bare: () => () => bare.getQuota(db, scope, showQuotaId),
    },
    consume: {
      iterations: sizes.fast,
      warmup: sizes.fastWarmup,
      prepare: async () => undefined,
      handler: () =>
        handlerCall(env, 'POST', `${base}/quota-consumptions`, { app_key: consumeApp.appKey, cost: 1 }, 200, 'consume'),
      bare: () => () => bare.consume(db, scope, consumeApp.appKey, 1),
    },
    usage: {
      iterations: sizes.fast,
      warmup: sizes.fastWarmup,
      prepare: async () => undefined,
      handler: () => handlerCall(env, 'GET', `${base}/apps/${consumeApp.appId}/quota-usage`, undefined, 200, 'usage'),
      bare: () => () => bare.getUsage(db, scope, consumeApp.appId),
    },
  };
  return OPERATIONS.map((op) => ({ op, ...benches[op] }));
};
