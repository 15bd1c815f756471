import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { Context } from 'aws-lambda';
import type { ResourceLimits } from '#app/config.ts';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, DEVELOPMENT_ACCESS_KEY_SEALING_KEY } from '#app/config.ts';
import type { ControlPlaneDeps, DepsConfig } from '#app/control-plane-deps.ts';
import { depsOver } from '#app/control-plane-deps.ts';
import { signToken } from '#auth/token-issuer.ts';
import { newCredential, newId } from '#domain/ids.ts';
import type { App } from '#domain/models.ts';
import { hashSecret } from '#domain/secrets.ts';
import type { Clock } from '#domain/time.ts';
import type { ApiEvent, ApiResult } from '#http/api-types.ts';
import { lambdaContext, toApiGatewayEvent } from '#local/api-gateway-event.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '#local/dynamodb-local.ts';
import { ensureTable } from '#local/ensure-table.ts';
import { createServiceHandlers } from '#local/service-handlers.ts';
import { FUNCTION_TIMEOUT_SECONDS, type FunctionName } from '#routing/route-types.ts';
import { createStore } from '#store/control-plane/store.ts';
import { createDocumentClient, SDK_SETTINGS } from '#store/table/client.ts';
import type { Db } from '#store/table/db.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import { countRequests, type RequestCounter } from './request-counter.ts';

/** The region every client of the bench uses (DynamoDB Local ignores it, the SDK needs one). */

/**
 * A prepared call is invoked again and again, each time a new invocation with the function's whole
 * time before it, as in Lambda: its deadline starts at the invoke, not at the prepare.
 */
const freshContext = (call: PreparedCall) => ({
  ...call.context,
  getRemainingTimeInMillis: () => 1000 * FUNCTION_TIMEOUT_SECONDS[call.fn],
});

export const REGION = 'us-east-1';

/** Credentials DynamoDB Local accepts (it accepts any). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The HS256 secret the bench's functions verify tokens with, as a deployment's secret would be. */
export const BENCH_SECRET = 'credential-quota-bench-secret-not-for-production';

/** A request ready to be invoked: building the event is API Gateway's work, so it is never timed. */
export interface PreparedCall {
  readonly fn: FunctionName;
  readonly event: ApiEvent;
  readonly context: Context;
}

/** A parsed response, for set-up steps and checks. */
export interface CallResult {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read freely in set-up code
  readonly body: any;
}

/** The three functions, deployed in-process over a fresh table on a DynamoDB Local of their own. */
export interface BenchEnv {
  readonly endpoint: string;
  readonly db: Db;
  readonly deps: ControlPlaneDeps;
  /** Counts what the functions' document client sends (and the bare calls, which share it). */
  readonly counter: RequestCounter;
  readonly projectId: string;
  readonly instanceId: string;
  /** `/v2/<project>/apigw/instances/<instance>`. */
  readonly base: string;
  prepare(method: string, url: string, body?: unknown): PreparedCall;
  invoke(call: PreparedCall): Promise<ApiResult>;
  /** Prepares, invokes and parses in one go: for set-up, never for timing. */
  call(method: string, url: string, body?: unknown): Promise<CallResult>;
  /** Creates apps straight through the store (the API would hash a secret for each: seconds per thousand). */
  createApps(count: number, prefix: string): Promise<App[]>;
  /** Binds apps to a quota through the API, 99 per request (one transaction each). */
  bindAll(quotaId: string, appIds: readonly string[]): Promise<void>;
  /** Creates a quota through the API; returns its id. */
  createQuota(name: string, callLimits: number): Promise<string>;
  /**
   * The same functions over a second client to the same table, whose SDK retries at once: for
   * runs on the partition model's virtual clock, where waiting real time between attempts would
   * measure nothing. `invoke` is one container whose sub-counter round robins start at 0;
   * `containers` are as many more, each with dependencies of its own as a Lambda container builds
   * them (caches, refusal memory, openings in flight), sharing only the client.
   */
  virtualTime(options?: VirtualTimeOptions): VirtualTime;
  stop(): Promise<void>;
}

/** How {@link BenchEnv.virtualTime} builds its functions. */
export interface VirtualTimeOptions {
  /** The clock the functions read (the model's virtual one); the bench's own by default. */
  readonly clock?: Clock;
  /** How many separate containers to build besides `invoke`'s: 0 by default. */
  readonly containers?: number;
}

/** Functions over a client that retries at once (see {@link BenchEnv.virtualTime}). */
export interface VirtualTime {
  readonly db: Db;
  invoke(call: PreparedCall): Promise<ApiResult>;
  /** Separate containers: container `c` of C starts each credential's round robin at sub-counter c·N/C. */
  readonly containers: ReadonlyArray<(call: PreparedCall) => Promise<ApiResult>>;
}

/** Runs `task(0..count-1)` with at most `concurrency` at a time. */
export const pool = async <T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> => {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) results[index] = await task(index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
};

const expectStatus = (result: CallResult, status: number, what: string): void => {
  if (result.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${result.status} ${JSON.stringify(result.body)}`);
  }
};

/**
 * Starts DynamoDB Local in memory on a free port, creates the table from the deployed definition
 * and composes the three functions exactly as `functions/*.ts` do (`createFunctionHandler` over
 * the operation adapters), with dependencies over a document client to it, an HS256 verifier and
 * a real signed token; then creates one instance to work in.
 */
export const startBenchEnv = async (limits: ResourceLimits): Promise<BenchEnv> => {
  const local: DynamoDbLocal = await startDynamoDbLocal({ port: 0, timeoutMs: 90_000 });
  try {
    const { endpoint } = local;
    const tableName = `bench-${randomUUID()}`;
    const raw = new DynamoDBClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
    await ensureTable(raw, tableName);
    raw.destroy();
    const db: Db = { client: createDocumentClient({ region: REGION, endpoint }), tableName };
    const counter = countRequests(db.client);
    const config: DepsConfig = {
      auth: { kind: 'hs256-secret', secret: BENCH_SECRET },
      maxTokenLifetimeSeconds: DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
      accessKeySealing: { kind: 'key', key: DEVELOPMENT_ACCESS_KEY_SEALING_KEY },
      limits,
    };
    const deps = depsOver(createStore(db), config);
    const handlers = createServiceHandlers(deps);
    const virtualTime = (options: VirtualTimeOptions = {}): VirtualTime => {
      const virtualDb: Db = {
        client: createDocumentClient({
          region: REGION,
          endpoint,
          retryStrategy: new ConfiguredRetryStrategy(SDK_SETTINGS.maxAttempts, 0),
        }),
        tableName,
      };
      const container = (start: number) => {
        const own = depsOver(createStore(virtualDb), config, options.clock ?? deps.clock);
        const handlers = createServiceHandlers({ ...own, subcounters: new SubcounterCache(10_000, () => start) });
        return (call: PreparedCall) => handlers[call.fn](call.event, freshContext(call));
      };
      const count = options.containers ?? 0;
      return {
        db: virtualDb,
        invoke: container(0),
        containers: Array.from({ length: count }, (_, index) => container(index / count)),
      };
    };
    const projectId = `bench${newId().slice(0, 8)}`;
    const token = await signToken(BENCH_SECRET, {
      projectId,
      actions: ['apig:*'],
      ttlSeconds: 3 * 3600,
      subject: 'bench',
    });

    const prepare = (method: string, url: string, body?: unknown): PreparedCall => {
      const encoded = body === undefined ? undefined : JSON.stringify(body);
      const { fn, event } = toApiGatewayEvent({
        method,
        url,
        body: encoded,
        headers: {
          'x-auth-token': token,
          ...(encoded === undefined ? {} : { 'content-type': 'application/json' }),
        },
      });
      return { fn, event, context: lambdaContext(fn) };
    };
    const invoke = (call: PreparedCall): Promise<ApiResult> => handlers[call.fn](call.event, freshContext(call));
    const call = async (method: string, url: string, body?: unknown): Promise<CallResult> => {
      const result = await invoke(prepare(method, url, body));
      return { status: result.statusCode ?? 200, body: result.body ? JSON.parse(result.body) : undefined };
    };

    const created = await call('POST', `/v2/${projectId}/apigw/instances`, { instance_name: 'bench_instance' });
    expectStatus(created, 201, 'create instance');
    const instanceId: string = created.body.instance_id;
    const base = `/v2/${projectId}/apigw/instances/${instanceId}`;
    const secretHash = await hashSecret(newCredential(32));

    return {
      endpoint,
      db,
      deps,
      counter,
      projectId,
      instanceId,
      base,
      prepare,
      invoke,
      call,
      createApps: (count, prefix) =>
        pool(count, 16, async (index) => {
          const now = new Date();
          const app: App = {
            projectId,
            instanceId,
            appId: newId(),
            name: `${prefix}-${index}`,
            remark: '',
            status: 1,
            appKey: newCredential(32),
            registerTime: now,
            updateTime: now,
          };
          await deps.store.createApp(app, secretHash, limits.appsPerInstance);
          return app;
        }),
      bindAll: async (quotaId, appIds) => {
        const batches: string[][] = [];
        for (let start = 0; start < appIds.length; start += 99) batches.push(appIds.slice(start, start + 99));
        await pool(batches.length, 4, async (index) => {
          const result = await call('POST', `${base}/app-quotas/${quotaId}/binding-apps`, {
            app_ids: batches[index],
          });
          expectStatus(result, 201, 'bind apps');
        });
      },
      createQuota: async (name, callLimits) => {
        const result = await call('POST', `${base}/app-quotas`, {
          name,
          call_limits: callLimits,
          time_unit: 'DAY',
          time_interval: 1,
        });
        expectStatus(result, 201, 'create quota');
        return result.body.app_quota_id as string;
      },
      virtualTime,
      stop: async () => {
        db.client.destroy();
        await local.stop();
      },
    };
  } catch (error) {
    await local.stop();
    throw error;
  }
};
