import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The stack sets no LOG_LEVEL: the functions log at INFO. Set before the logger is imported.
const previousLevel = vi.hoisted(() => {
  const level = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'INFO';
  return level;
});

import { quotaGuard } from '#guard/quota-guard.ts';
import { toApiGatewayEvent } from '#local/api-gateway-event.ts';
import { createServiceHandlers } from '#local/service-handlers.ts';
import { METRICS_BATCH_CALLS, METRICS_TOP_CREDENTIALS, ServiceMetrics } from '#observability/metrics.ts';
import { createTestApi, type TestApi, testContext, testEvent, testResponse } from '../support/api-client.ts';
import { billedLogBytes, logBytesFigure } from '../support/cost-figures.ts';
import { newInstance } from '../support/fixtures.ts';

// What one consume writes to stdout and stderr (all Lambda ships to the function's log group
// besides its own platform lines, which the stack turns off for quota-consumptions), per call,
// over a full batch of EMF counts: the figures of docs/design.md's cost table are bounds on these.
let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => {
  if (previousLevel === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = previousLevel;
});

/** Runs `calls` and returns every line they wrote to stdout and stderr. */
const linesWrittenBy = async (calls: () => Promise<void>): Promise<string[]> => {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await calls();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.length > 0);
};

/** `count` credentials bound to one quota of `limit` calls a day each, in a new instance. */
const boundCredentials = async (limit: number, count = 1) => {
  // A project id as long as a Huawei Cloud one (32 hex digits): each tally line carries it.
  const fixture = await newInstance(api, 'apigw', randomUUID().replaceAll('-', ''));
  const appIds: string[] = [];
  for (let n = 0; n < count; n += 1) appIds.push(await fixture.createApp(`logged_${n}`));
  const appKeys: string[] = [];
  for (const appId of appIds) appKeys.push((await fixture.call('GET', `/apps/${appId}`)).body.app_key);
  await fixture.bind(await fixture.createQuota('logged_q', { call_limits: limit, time_unit: 'DAY' }), appIds);
  return { ...fixture, appKeys, appKey: appKeys[0] as string };
};

/** What a full batch of consumes writes per call, admitted and refused, with `appKeys` taking turns. */
const bytesPerCall = async (fixture: Awaited<ReturnType<typeof boundCredentials>>, limit: number) => {
  const calls = METRICS_BATCH_CALLS;
  const { base, token, appKeys } = fixture;
  // The deployed batching; its clock stands still so that only the batch size writes, as in a
  // container serving at least METRICS_BATCH_CALLS checks a minute.
  const handlers = createServiceHandlers({ ...api.deps, metrics: new ServiceMetrics({ now: () => 0 }) });
  const consume = async (appKey: string) => {
    const { fn, event } = testEvent('POST', `${base}/quota-consumptions`, { token, body: { app_key: appKey } });
    return testResponse(await handlers[fn](event, testContext(fn))).status;
  };
  const consumeAll = (expected: number) => async () => {
    for (let call = 0; call < calls; call += 1)
      expect(await consume(appKeys[call % appKeys.length] as string)).toBe(expected);
  };
  const admitted = await linesWrittenBy(consumeAll(200));
  // Uses up what the turns left of each credential's limit, outside the measured batches.
  const used = new Map<string, number>();
  for (let call = 0; call < calls; call += 1) {
    const appKey = appKeys[call % appKeys.length] as string;
    used.set(appKey, (used.get(appKey) ?? 0) + 1);
  }
  for (const appKey of appKeys) {
    for (let left = limit - (used.get(appKey) ?? 0); left > 0; left -= 1) {
      expect((await fixture.call('POST', '/quota-consumptions', { app_key: appKey })).status).toBe(200);
    }
  }
  const refused = await linesWrittenBy(consumeAll(429));
  // The batch's EMF line, its tally lines, and nothing else: no line of the service's own per call.
  for (const lines of [admitted, refused]) {
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.filter((line) => '_aws' in line)).toHaveLength(1);
    expect(parsed.filter((line) => line.tally === 'consume')).toHaveLength(
      Math.min(appKeys.length, METRICS_TOP_CREDENTIALS + 1),
    );
    expect(parsed).toHaveLength(1 + Math.min(appKeys.length, METRICS_TOP_CREDENTIALS + 1));
  }
  return { admitted: billedLogBytes(admitted) / calls, refused: billedLogBytes(refused) / calls };
};

describe('log bytes per consume, at the stack default log level', () => {
  const figure = () => logBytesFigure('`quota-consumptions` function log');

  it('the route, calls from more credentials than a write names: the figures of the cost table, no looser', async () => {
    // Each credential of the batch calls 14 or 15 times: every write names METRICS_TOP_CREDENTIALS
    // of them and sums the rest, the most lines (and bytes) a batch of calls can write.
    const count = METRICS_TOP_CREDENTIALS + 2;
    const limit = Math.ceil(METRICS_BATCH_CALLS / count);
    const perCall = await bytesPerCall(await boundCredentials(limit, count), limit);
    expect(perCall.admitted).toBeLessThanOrEqual(figure().admitted);
    expect(perCall.refused).toBeLessThanOrEqual(figure().refused);
    // The figure holds for any latency under a second (0 to 999.9 ms is 1 to 5 characters, so up
    // to 4 bytes a call between the fastest and the slowest run), and is no looser than that.
    expect(figure().admitted - perCall.admitted).toBeLessThan(5);
    expect(figure().refused - perCall.refused).toBeLessThan(5);
  });

  it('the route, one credential: within the figures of the cost table', async () => {
    const limit = METRICS_BATCH_CALLS;
    const perCall = await bytesPerCall(await boundCredentials(limit), limit);
    expect(perCall.admitted).toBeLessThanOrEqual(figure().admitted);
    expect(perCall.refused).toBeLessThanOrEqual(figure().refused);
  });

  it('the guard, with and without leases: writes nothing to your function log', async () => {
    const figure = logBytesFigure('the guard, with or without leases');
    for (const leases of [undefined, { units: 10 }]) {
      const { project, instanceId, appKey } = await boundCredentials(20);
      const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
        .use(
          quotaGuard({
            deps: api.deps,
            projectId: project,
            instanceId,
            appKeyFrom: (event: APIGatewayProxyEventV2) => event.headers['x-app-key'],
            leases,
          }),
        )
        .handler(async () => ({ statusCode: 200, body: 'ok' }));
      const statuses: number[] = [];
      const lines = await linesWrittenBy(async () => {
        for (let call = 0; call < 30; call += 1) {
          const { event } = toApiGatewayEvent({ method: 'GET', url: '/work', headers: { 'x-app-key': appKey } });
          statuses.push((await handler(event, testContext('guarded'))).statusCode ?? 0);
        }
      });
      expect(statuses.filter((status) => status === 200)).toHaveLength(20);
      expect(statuses.filter((status) => status === 429)).toHaveLength(10);
      expect(billedLogBytes(lines)).toBeLessThanOrEqual(Math.min(figure.admitted, figure.refused));
    }
  });
});
