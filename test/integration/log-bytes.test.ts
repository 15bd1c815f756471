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
import { METRICS_BATCH_CALLS, ServiceMetrics } from '#observability/metrics.ts';
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

/** A credential bound to a quota of `limit` calls a day, in a new instance. */
const boundCredential = async (limit: number) => {
  const fixture = await newInstance(api);
  const appId = await fixture.createApp('logged');
  const appKey: string = (await fixture.call('GET', `/apps/${appId}`)).body.app_key;
  await fixture.bind(await fixture.createQuota('logged_q', { call_limits: limit, time_unit: 'DAY' }), [appId]);
  return { ...fixture, appKey };
};

describe('log bytes per consume, at the stack default log level', () => {
  it('the route: an admitted and a refused call write at most the figures of the cost table', async () => {
    const calls = METRICS_BATCH_CALLS;
    const { base, token, appKey } = await boundCredential(calls);
    // The deployed batching; its clock stands still so that only the batch size writes, as in a
    // container serving at least METRICS_BATCH_CALLS checks a minute.
    const handlers = createServiceHandlers({ ...api.deps, metrics: new ServiceMetrics({ now: () => 0 }) });
    const consumeAll = (expected: number) => async () => {
      for (let call = 0; call < calls; call += 1) {
        const { fn, event } = testEvent('POST', `${base}/quota-consumptions`, { token, body: { app_key: appKey } });
        expect(testResponse(await handlers[fn](event, testContext(fn))).status).toBe(expected);
      }
    };

    const admitted = await linesWrittenBy(consumeAll(200));
    const refused = await linesWrittenBy(consumeAll(429));
    // One EMF line a batch, and nothing else: no line of the service's own per call.
    for (const lines of [admitted, refused]) {
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '')).toHaveProperty('_aws');
    }
    const perCall = { admitted: billedLogBytes(admitted) / calls, refused: billedLogBytes(refused) / calls };
    const figure = logBytesFigure('`quota-consumptions` function log');
    expect(perCall.admitted).toBeLessThanOrEqual(figure.admitted);
    expect(perCall.refused).toBeLessThanOrEqual(figure.refused);
    // The figure holds for any latency under a second (0 to 999.9 ms is 1 to 5 characters, so up
    // to 4 bytes a call between the fastest and the slowest run), and is no looser than that.
    expect(figure.admitted - perCall.admitted).toBeLessThan(5);
    expect(figure.refused - perCall.refused).toBeLessThan(5);
  });

  it('the guard, with and without leases: writes nothing to your function log', async () => {
    const figure = logBytesFigure('the guard, with or without leases');
    for (const leases of [undefined, { units: 10 }]) {
      const { project, instanceId, appKey } = await boundCredential(20);
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
