import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServiceHandlers } from '#local/service-handlers.ts';
import {
  flushOnShutdown,
  METRICS_BATCH_CALLS,
  METRICS_FLUSH_INTERVAL_MS,
  METRICS_NAMESPACE,
  ServiceMetrics,
} from '#observability/metrics.ts';
import { freshProject, testEvent } from '../support/api-client.ts';
import { callLogged, type EmfLine, emfWrittenBy, invokeLogged, readEmf } from '../support/emf.ts';
import { type FakeApi, fakeApiWithInstance } from '../support/fake-api.ts';
import { tokenFor } from '../support/tokens.ts';

// The metrics of answers that need no stored data beyond the instance: refusals and an empty
// list. Those of admissions and of DynamoDB's faults are in test/integration/metrics.test.ts.
const INSTANCE_ID = 'c900c5612dbe451bb43cbcc49cfaf2f3';

let api: FakeApi;
let metrics: ServiceMetrics;
let handlers: ReturnType<typeof createServiceHandlers>;
let fixture: { readonly base: string; readonly token: string };

beforeAll(async () => {
  const project = freshProject();
  api = fakeApiWithInstance(project, INSTANCE_ID);
  // The functions' own stack, as `functions/*.ts` build it, with the metrics a Lambda container has.
  // Its clock stands still: only METRICS_BATCH_CALLS invocations or a flush write what it holds.
  metrics = new ServiceMetrics({ now: () => 0 });
  handlers = createServiceHandlers({ ...api.deps, metrics });
  fixture = { base: `/v2/${project}/apigw/instances/${INSTANCE_ID}`, token: await tokenFor(project) };
});
afterEach(() => {
  vi.restoreAllMocks();
  api.fake.assertComplete();
});

const call = (method: string, path: string, body?: unknown) => callLogged(handlers, fixture, method, path, body);

const flushed = async () => (await emfWrittenBy(() => metrics.flush())).emf;

describe('EMF metrics of the deployed handler stack', () => {
  it('errors count by function, summed until written: 4xx of the data plane and the control plane, nothing per instance', async () => {
    const unknownKey = await call('POST', '/quota-consumptions', { app_key: 'NoSuchKey0000000' });
    expect(unknownKey.response.status).toBe(404);
    const again = await call('POST', '/quota-consumptions', { app_key: 'NoSuchKey0000001' });
    expect(again.response.status).toBe(404);
    const missingQuota = await call('GET', `/app-quotas/${'0'.repeat(32)}`);
    expect(missingQuota.response.status).toBe(404);
    const badBody = await call('POST', '/apps', { name: 'x' });
    expect(badBody.response.status).toBe(400);
    // Held by the container, not a line per call.
    expect([unknownKey, again, missingQuota, badBody].flatMap((answer) => answer.emf)).toEqual([]);

    const lines = await flushed();
    expect(lines.map(readEmf)).toEqual([
      {
        namespace: METRICS_NAMESPACE,
        dimensions: [['service', 'function']],
        values: { service: 'credential-quota', function: 'quota-consumptions' },
        metrics: { ClientErrors: ['Count', 2] },
      },
      {
        namespace: METRICS_NAMESPACE,
        dimensions: [['service', 'function']],
        values: { service: 'credential-quota', function: 'app-quotas' },
        metrics: { ClientErrors: ['Count', 1] },
      },
      {
        namespace: METRICS_NAMESPACE,
        dimensions: [['service', 'function']],
        values: { service: 'credential-quota', function: 'registry' },
        metrics: { ClientErrors: ['Count', 1] },
      },
    ]);
    // Written once: what a flush wrote is not held any more.
    expect(await flushed()).toEqual([]);
  });

  it('a success outside the data plane counts nothing', async () => {
    expect((await call('GET', '/apps')).emf).toEqual([]);
    const health = testEvent('GET', '/health');
    expect((await invokeLogged(handlers, health.fn, health.event)).emf).toEqual([]);
    expect(await flushed()).toEqual([]);
  });
});

describe('ServiceMetrics batching', () => {
  const record = { fn: 'quota-consumptions', status: 200, latencyMs: 1.26, throttled: false } as const;
  const collecting = (now: () => number) => {
    const lines: EmfLine[] = [];
    const batched = new ServiceMetrics({ sink: (line) => lines.push(JSON.parse(line) as EmfLine), now });
    return { lines, batched };
  };

  it('writes one line per instance after METRICS_BATCH_CALLS invocations, with every count and latency they held', () => {
    const { lines, batched } = collecting(() => 1_000);
    const instances = ['a'.repeat(32), 'b'.repeat(32)];
    let admittedUnits = 0;
    for (let call = 0; call < METRICS_BATCH_CALLS - 1; call += 1) {
      const admitted = call % 3 !== 0;
      const cost = 1 + (call % 4);
      if (admitted) admittedUnits += cost;
      batched.consumption({ instanceId: instances[call % 2] as string, admitted, cost });
      batched.publish({ ...record, status: admitted ? 200 : 429, latencyMs: call / 10 });
    }
    expect(lines).toEqual([]);
    batched.consumption({ instanceId: instances[1] as string, admitted: true, cost: 1 });
    batched.publish({ ...record, latencyMs: 99 / 10 });
    admittedUnits += 1;

    expect(lines).toHaveLength(2);
    const read = lines.map(readEmf);
    expect(read.map((line) => line.values.instance)).toEqual(instances);
    const total = (name: string) => read.reduce((sum, line) => sum + Number(line.metrics[name]?.[1] ?? 0), 0);
    expect(total('ConsumeAdmitted') + total('ConsumeRefused')).toBe(METRICS_BATCH_CALLS);
    expect(total('ConsumeRefused')).toBe(33);
    expect(total('AdmittedUnits')).toBe(admittedUnits);
    const latencies = read.flatMap((line) => line.metrics.ConsumeLatency?.[1] as number[]).sort((x, y) => x - y);
    expect(latencies).toEqual(Array.from({ length: METRICS_BATCH_CALLS }, (_, call) => call / 10));
    for (const line of lines) expect(line._aws.Timestamp).toBe(1_000);
  });

  it('at the end of the first invocation METRICS_FLUSH_INTERVAL_MS after the first it holds, writes them all, stamped with the first', () => {
    let now = 5_000;
    const { lines, batched } = collecting(() => now);
    batched.consumption({ instanceId: 'c'.repeat(32), admitted: true, cost: 2 });
    batched.publish(record);
    now += METRICS_FLUSH_INTERVAL_MS - 1;
    batched.consumption({ instanceId: 'c'.repeat(32), admitted: false, cost: 5 });
    batched.publish({ ...record, status: 429 });
    expect(lines).toEqual([]);
    now += 1;
    batched.publish({ ...record, fn: 'registry', status: 503, throttled: true });

    expect(lines.map(readEmf)).toEqual([
      {
        namespace: METRICS_NAMESPACE,
        dimensions: [['service', 'instance'], ['service']],
        values: { service: 'credential-quota', instance: 'c'.repeat(32) },
        metrics: {
          ConsumeAdmitted: ['Count', 1],
          AdmittedUnits: ['Count', 2],
          ConsumeRefused: ['Count', 1],
          RefusedUnits: ['Count', 5],
          ConsumeLatency: ['Milliseconds', [1.3, 1.3]],
        },
      },
      {
        namespace: METRICS_NAMESPACE,
        dimensions: [['service', 'function']],
        values: { service: 'credential-quota', function: 'registry' },
        metrics: { ServerErrors: ['Count', 1], ServiceUnavailable: ['Count', 1], DynamoDbThrottles: ['Count', 1] },
      },
    ]);
    expect(lines.map((line) => line._aws.Timestamp)).toEqual([5_000, 5_000]);
    // The next batch starts afresh, at its own first call.
    batched.consumption({ instanceId: 'c'.repeat(32), admitted: true, cost: 1 });
    batched.publish(record);
    batched.flush();
    expect(lines).toHaveLength(3);
    expect(readEmf(lines[2]).metrics).toEqual({
      ConsumeAdmitted: ['Count', 1],
      AdmittedUnits: ['Count', 1],
      ConsumeLatency: ['Milliseconds', [1.3]],
    });
    expect(lines[2]?._aws.Timestamp).toBe(now);
  });

  it('writes what it holds when Lambda sends SIGTERM before shutting the container down, then exits', () => {
    const { lines, batched } = collecting(() => 0);
    let onTerm: (() => void) | undefined;
    const exit = vi.fn();
    flushOnShutdown(batched, {
      once: (event, listener) => {
        expect(event).toBe('SIGTERM');
        onTerm = listener;
      },
      exit: exit as unknown as (code: number) => never,
    });
    batched.consumption({ instanceId: 'd'.repeat(32), admitted: false, cost: 7 });
    batched.publish({ ...record, status: 429 });
    expect(lines).toEqual([]);
    expect(exit).not.toHaveBeenCalled();
    onTerm?.();
    expect(lines.map((line) => readEmf(line).metrics)).toEqual([
      { ConsumeRefused: ['Count', 1], RefusedUnits: ['Count', 7], ConsumeLatency: ['Milliseconds', [1.3]] },
    ]);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('refuses a batch larger than one EMF metric can carry', () => {
    for (const batchCalls of [0, 1.5, METRICS_BATCH_CALLS + 1]) {
      expect(() => new ServiceMetrics({ batchCalls }), String(batchCalls)).toThrow(/batchCalls/);
    }
  });
});
