import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { CreateTableCommand, DynamoDB, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { RateLimiterDynamo, RateLimiterRes } from 'rate-limiter-flexible';
import { quotaGuard } from '#guard/quota-guard.ts';
import { type BenchEnv, LOCAL_CREDENTIALS, pool, REGION } from './environment.ts';
import type { ConsumeFixture } from './operations.ts';
import { countRequests } from './request-counter.ts';
import { median, mode, percentile, round } from './stats.ts';

/** How much of the comparison a run does. */
export interface PeerSizes {
  readonly iterations: number;
  readonly warmup: number;
  /** Over-admission: the limit, how many calls, how many at a time. */
  readonly limit: number;
  readonly calls: number;
  readonly concurrency: number;
}

/** How many of `calls` concurrent calls against `limit` each limiter let through. */
export interface OverAdmission {
  readonly limit: number;
  readonly calls: number;
  readonly concurrency: number;
  readonly ours_admitted: number;
  /** Admitted beyond the limit (0 is exact). */
  readonly ours_over: number;
  readonly ours_errors: number;
  readonly peer_admitted: number;
  readonly peer_over: number;
  /** Calls that failed with an error rather than an answer (a lost race between its two updates). */
  readonly peer_errors: number;
}

/** The `peer` object of bench/results.json. */
export interface PeerResult {
  readonly library: string;
  readonly iterations: number;
  /** Ours in-process: the quotaGuard middleware in front of a no-op Lambda, as the peer is used. */
  readonly ours_p50_ms: number;
  readonly ours_p99_ms: number;
  /** Ours through the whole consume route (token, routing, parsing, validation, response). */
  readonly ours_handler_p50_ms: number;
  readonly peer_p50_ms: number;
  readonly peer_p99_ms: number;
  /** ours_p50_ms / peer_p50_ms. */
  readonly ratio: number;
  /** ours_handler_p50_ms / peer_p50_ms. */
  readonly handler_ratio: number;
  readonly ours_ddb_requests: number;
  readonly peer_ddb_requests: number;
  readonly over_admission: OverAdmission;
}

const peerVersion = (): string => {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('rate-limiter-flexible');
  const manifest = JSON.parse(readFileSync(entry.replace(/index\.js$/, 'package.json'), 'utf8')) as { version: string };
  return `rate-limiter-flexible@${manifest.version} RateLimiterDynamo`;
};

/**
 * rate-limiter-flexible's DynamoDB limiter on the same DynamoDB Local, in its own table (its
 * schema: hash key `key`), created here so the limiter is told `tableCreated` and `ttlSet` and
 * makes no control-plane calls. Its store client must be the aggregated `DynamoDB` client (it
 * calls `getItem`, `updateItem`).
 */
const peerLimiters = async (env: BenchEnv) => {
  const client = new DynamoDB({ endpoint: env.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
  const tableName = `rlflx-${randomUUID()}`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: tableName });
  const limiter = (points: number, duration: number) =>
    new Promise<RateLimiterDynamo>((done, fail) => {
      const created: RateLimiterDynamo = new RateLimiterDynamo(
        { storeClient: client, tableName, tableCreated: true, ttlSet: true, points, duration },
        (error?: unknown) => (error ? fail(error) : done(created)),
      );
    });
  return { client, counter: countRequests(client), limiter };
};

/**
 * Consume side by side with the peer: latency of one call at a time (ours in-process, ours through
 * the route, the peer, in rotating order), then exactness: `calls` calls `concurrency` at a time
 * against a limit, on a credential (and a peer key) never used before.
 */
export const runPeer = async (env: BenchEnv, fixture: ConsumeFixture, sizes: PeerSizes): Promise<PeerResult> => {
  const peer = await peerLimiters(env);
  try {
    const [app] = fixture.apps;
    if (!app) throw new Error('the consume fixture has no app');
    const guarded = middy<{ headers: Record<string, string> }, { statusCode: number; body: string }>()
      .use(
        quotaGuard({
          deps: env.deps,
          projectId: env.projectId,
          instanceId: env.instanceId,
          appKeyFrom: (event: { headers: Record<string, string> }) => event.headers['x-app-key'],
        }),
      )
      .handler(async () => ({ statusCode: 200, body: '' }));
    const bigLimiter = await peer.limiter(2_000_000_000, 86_400);
    const peerKey = `latency-${randomUUID()}`;

    const ours = async () => {
      const result = await guarded({ headers: { 'x-app-key': app.appKey } }, {} as never);
      if (result.statusCode !== 200) throw new Error(`guarded consume: ${result.statusCode}`);
    };
    const oursHandler = async (call: ReturnType<BenchEnv['prepare']>) => {
      const result = await env.invoke(call);
      if (result.statusCode !== 200) throw new Error(`consume: ${result.statusCode}`);
    };
    const theirs = async () => {
      await bigLimiter.consume(peerKey, 1);
    };
    const consumeCall = () => env.prepare('POST', `${env.base}/quota-consumptions`, { app_key: app.appKey, cost: 1 });

    for (let n = 0; n < sizes.warmup; n += 1) {
      await ours();
      await oursHandler(consumeCall());
      await theirs();
    }
    const samples = { ours: [] as number[], handler: [] as number[], peer: [] as number[] };
    const requests = { ours: [] as number[], peer: [] as number[] };
    const time = async (run: () => Promise<void>, into: number[]) => {
      const start = performance.now();
      await run();
      into.push(performance.now() - start);
    };
    for (let n = 0; n < sizes.iterations; n += 1) {
      const call = consumeCall();
      const steps = [
        async () => {
          env.counter.reset();
          await time(ours, samples.ours);
          requests.ours.push(env.counter.sent.length);
        },
        () => time(() => oursHandler(call), samples.handler),
        async () => {
          peer.counter.reset();
          await time(theirs, samples.peer);
          requests.peer.push(peer.counter.sent.length);
        },
      ];
      for (let k = 0; k < steps.length; k += 1) await steps[(n + k) % steps.length]?.();
    }

    const over = await overAdmission(env, await peer.limiter(sizes.limit, 3600), sizes);
    const oursP50 = median(samples.ours);
    const handlerP50 = median(samples.handler);
    const peerP50 = median(samples.peer);
    return {
      library: peerVersion(),
      iterations: sizes.iterations,
      ours_p50_ms: round(oursP50),
      ours_p99_ms: round(percentile(samples.ours, 99)),
      ours_handler_p50_ms: round(handlerP50),
      peer_p50_ms: round(peerP50),
      peer_p99_ms: round(percentile(samples.peer, 99)),
      ratio: round(oursP50 / peerP50, 2),
      handler_ratio: round(handlerP50 / peerP50, 2),
      ours_ddb_requests: mode(requests.ours),
      peer_ddb_requests: mode(requests.peer),
      over_admission: over,
    };
  } finally {
    peer.client.destroy();
  }
};

const overAdmission = async (env: BenchEnv, limiter: RateLimiterDynamo, sizes: PeerSizes): Promise<OverAdmission> => {
  const quotaId = await env.createQuota('BenchOverAdmission', sizes.limit);
  const [app] = await env.createApps(1, 'over-admission');
  if (!app) throw new Error('no app for the over-admission run');
  await env.bindAll(quotaId, [app.appId]);

  const ours = { admitted: 0, errors: 0 };
  await pool(sizes.calls, sizes.concurrency, async () => {
    const result = await env.invoke(
      env.prepare('POST', `${env.base}/quota-consumptions`, { app_key: app.appKey, cost: 1 }),
    );
    if (result.statusCode === 200) ours.admitted += 1;
    else if (result.statusCode !== 429) ours.errors += 1;
  });

  const theirs = { admitted: 0, errors: 0 };
  const key = `over-${randomUUID()}`;
  await pool(sizes.calls, sizes.concurrency, async () => {
    try {
      await limiter.consume(key, 1);
      theirs.admitted += 1;
    } catch (error) {
      // A refusal is a RateLimiterRes; anything else is a failed call.
      if (!(error instanceof RateLimiterRes)) theirs.errors += 1;
    }
  });
  return {
    limit: sizes.limit,
    calls: sizes.calls,
    concurrency: sizes.concurrency,
    ours_admitted: ours.admitted,
    ours_over: Math.max(0, ours.admitted - sizes.limit),
    ours_errors: ours.errors,
    peer_admitted: theirs.admitted,
    peer_over: Math.max(0, theirs.admitted - sizes.limit),
    peer_errors: theirs.errors,
  };
};
