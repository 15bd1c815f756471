import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServiceHandlers } from '#local/service-handlers.ts';
import { METRICS_NAMESPACE, ServiceMetrics } from '#observability/metrics.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { callLogged, emfWrittenBy, readEmf } from '../support/emf.ts';
import { injectFaults } from '../support/fault-injector.ts';
import { newInstance } from '../support/fixtures.ts';

let api: TestApi;
let metrics: ServiceMetrics;
let handlers: ReturnType<typeof createServiceHandlers>;
let fixture: Awaited<ReturnType<typeof newInstance>>;
let injected: ReturnType<typeof injectFaults> | undefined;

beforeAll(async () => {
  api = await createTestApi();
  // The functions' own stack, as `functions/*.ts` build it, with the metrics a Lambda container has.
  // Its clock stands still: only METRICS_BATCH_CALLS invocations or a flush write what it holds.
  metrics = new ServiceMetrics({ now: () => 0 });
  handlers = createServiceHandlers({ ...api.deps, metrics });
  fixture = await newInstance(api);
});
afterEach(() => {
  injected?.remove();
  injected = undefined;
  vi.restoreAllMocks();
});

const call = (method: string, path: string, body?: unknown) => callLogged(handlers, fixture, method, path, body);
/** Calls a route, which writes nothing itself, then the EMF and tally lines the container's flush writes. */
const callFlushed = async (method: string, path: string, body?: unknown) => {
  const { response, emf } = await call(method, path, body);
  expect(emf).toEqual([]);
  const flushed = await emfWrittenBy(() => metrics.flush());
  return { response, emf: flushed.emf, tallies: flushed.tallies };
};

describe('EMF metrics of the deployed handler stack', () => {
  it('an admitted consume: one line when written, in total only, with its units and latency', async () => {
    const appId = await fixture.createApp('metered');
    const key: string = (await fixture.call('GET', `/apps/${appId}`)).body.app_key;
    await fixture.bind(await fixture.createQuota('metered_q', { call_limits: 5 }), [appId]);

    const admitted = await callFlushed('POST', '/quota-consumptions', { app_key: key, cost: 3 });
    expect(admitted.response.status).toBe(200);
    expect(admitted.emf).toHaveLength(1);
    const line = readEmf(admitted.emf[0]);
    expect(line.namespace).toBe(METRICS_NAMESPACE);
    expect(line.dimensions).toEqual([['service']]);
    expect(line.values).toEqual({ service: 'credential-quota' });
    expect(line.metrics).toEqual({
      ConsumeAdmitted: ['Count', 1],
      AdmittedUnits: ['Count', 3],
      ConsumeLatency: ['Milliseconds', [expect.any(Number)]],
    });
    const latency = (line.metrics.ConsumeLatency?.[1] as number[] | undefined)?.[0];
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(10_000);
    // No app anywhere in the line: not as a dimension, not as a field.
    expect(JSON.stringify(admitted.emf)).not.toContain(appId);
    expect(JSON.stringify(admitted.emf)).not.toContain(key);
    // The credential is in its tally line, for the Contributor Insights rules.
    const credential = { tally: 'consume', project: fixture.project, instance: fixture.instanceId, app_key: key };
    expect(admitted.tallies).toEqual([{ ...credential, admitted: 1 }]);

    const refused = await callFlushed('POST', '/quota-consumptions', { app_key: key, cost: 3 });
    expect(refused.response.status).toBe(429);
    expect(refused.emf).toHaveLength(1);
    expect(readEmf(refused.emf[0])).toMatchObject({
      dimensions: [['service']],
      values: { service: 'credential-quota' },
      metrics: {
        ConsumeRefused: ['Count', 1],
        RefusedUnits: ['Count', 3],
        ConsumeLatency: ['Milliseconds', [expect.any(Number)]],
      },
    });
    expect(refused.tallies).toEqual([{ ...credential, refused: 1 }]);
    expect(Object.keys(readEmf(refused.emf[0]).metrics).sort()).toEqual([
      'ConsumeLatency',
      'ConsumeRefused',
      'RefusedUnits',
    ]);
  });

  it('an unbound credential is admitted with the default cost of 1', async () => {
    const appId = await fixture.createApp('free-rider');
    const key: string = (await fixture.call('GET', `/apps/${appId}`)).body.app_key;
    const { response, emf } = await callFlushed('POST', '/quota-consumptions', { app_key: key });
    expect(response.body.app_quota_id).toBeNull();
    expect(emf).toHaveLength(1);
    expect(readEmf(emf[0]).metrics).toMatchObject({ ConsumeAdmitted: ['Count', 1], AdmittedUnits: ['Count', 1] });
  });

  it('DynamoDB throttling past the retries: a 503 counted as server error, unavailable and throttled', async () => {
    injected = injectFaults(api.db.client, { operation: 'TransactWriteItems', kind: 'throttle' });
    const { response, emf } = await callFlushed('POST', '/apps', { name: 'throttled' });
    expect(response.status).toBe(503);
    expect(emf.map(readEmf)).toEqual([
      {
        namespace: METRICS_NAMESPACE,
        dimensions: [['service', 'function']],
        values: { service: 'credential-quota', function: 'registry' },
        metrics: { ServerErrors: ['Count', 1], ServiceUnavailable: ['Count', 1], DynamoDbThrottles: ['Count', 1] },
      },
    ]);
  });

  it('a consume timing out: 503 unavailable but not throttled, and no admission counted', async () => {
    const appId = await fixture.createApp('slow-one');
    const key: string = (await fixture.call('GET', `/apps/${appId}`)).body.app_key;
    await fixture.bind(await fixture.createQuota('slow_q'), [appId]);
    await fixture.call('POST', '/quota-consumptions', { app_key: key });
    injected = injectFaults(api.db.client, { operation: 'UpdateItem', kind: 'timeout' });
    const { response, emf, tallies } = await callFlushed('POST', '/quota-consumptions', { app_key: key });
    expect(response.status).toBe(503);
    expect(tallies).toEqual([]);
    expect(emf.map((line) => [readEmf(line).values, readEmf(line).metrics])).toEqual([
      [
        { service: 'credential-quota', function: 'quota-consumptions' },
        { ServerErrors: ['Count', 1], ServiceUnavailable: ['Count', 1] },
      ],
    ]);
  });

  it('consumes held together: one line with every count, unit and latency', async () => {
    const appId = await fixture.createApp('summed');
    const key: string = (await fixture.call('GET', `/apps/${appId}`)).body.app_key;
    await fixture.bind(await fixture.createQuota('summed_q', { call_limits: 4 }), [appId]);
    const statuses: number[] = [];
    for (const cost of [1, 2, 3, 1]) {
      const { response, emf } = await call('POST', '/quota-consumptions', { app_key: key, cost });
      expect(emf).toEqual([]);
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 429, 200]);
    const { emf } = await emfWrittenBy(() => metrics.flush());
    expect(emf).toHaveLength(1);
    const line = readEmf(emf[0]);
    expect(line.values).toEqual({ service: 'credential-quota' });
    expect(line.metrics).toMatchObject({
      ConsumeAdmitted: ['Count', 3],
      AdmittedUnits: ['Count', 4],
      ConsumeRefused: ['Count', 1],
      RefusedUnits: ['Count', 3],
    });
    const latencies = line.metrics.ConsumeLatency?.[1] as number[];
    expect(latencies).toHaveLength(4);
    for (const latency of latencies) expect(latency).toBeGreaterThan(0);
    expect(emf[0]?._aws.Timestamp).toBe(0);
  });
});
