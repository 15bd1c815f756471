import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServiceHandlers } from '#local/service-handlers.ts';
import {
  flushOnShutdown,
  METRICS_BATCH_CALLS,
  METRICS_FLUSH_INTERVAL_MS,
  METRICS_NAMESPACE,
  METRICS_TOP_CREDENTIALS,
  ServiceMetrics,
  TALLY_OTHERS,
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
  type Tally = Record<string, string | number>;
  const collecting = (now: () => number) => {
    const lines: EmfLine[] = [];
    const tallies: Tally[] = [];
    const batched = new ServiceMetrics({
      sink: (line) => {
        const parsed = JSON.parse(line) as EmfLine;
        if ('_aws' in parsed) lines.push(parsed);
        else tallies.push(parsed as Tally);
      },
      now,
    });
    return { lines, tallies, batched };
  };
  const PROJECT = 'f'.repeat(32);
  const credential = (instance: string, appKey: string) => ({ projectId: PROJECT, instanceId: instance, appKey });
  const tally = (instance: string, app_key: string, counts: { admitted?: number; refused?: number }) => ({
    tally: 'consume',
    project: PROJECT,
    instance,
    app_key,
    ...counts,
  });

  it('writes one consume line (no instance in it) after METRICS_BATCH_CALLS invocations, and a tally line per credential', () => {
    const { lines, tallies, batched } = collecting(() => 1_000);
    // In the order they first call: the tally lines of a tie keep it.
    const credentials = [
      credential('a'.repeat(32), 'KeyOfA0000000001'),
      credential('b'.repeat(32), 'KeyOfB0000000002'),
      credential('b'.repeat(32), 'KeyOfB0000000001'),
    ];
    let admittedUnits = 0;
    const expected = credentials.map(() => ({ admitted: 0, refused: 0 }));
    for (let call = 0; call < METRICS_BATCH_CALLS; call += 1) {
      const admitted = call % 3 !== 0;
      const cost = 1 + (call % 4);
      if (admitted) admittedUnits += cost;
      const which = call % 5 === 0 ? 0 : call % 2 === 0 ? 2 : 1;
      const counts = expected[which] as { admitted: number; refused: number };
      if (admitted) counts.admitted += 1;
      else counts.refused += 1;
      expect(lines).toEqual([]);
      batched.consumption({ ...(credentials[which] as ReturnType<typeof credential>), admitted, cost });
      batched.publish({ ...record, status: admitted ? 200 : 429, latencyMs: call / 10 });
    }

    expect(lines).toHaveLength(1);
    const line = readEmf(lines[0]);
    expect(line.dimensions).toEqual([['service']]);
    expect(line.values).toEqual({ service: 'credential-quota' });
    expect(line.metrics.ConsumeAdmitted?.[1]).toBe(66);
    expect(line.metrics.ConsumeRefused?.[1]).toBe(34);
    expect(line.metrics.AdmittedUnits?.[1]).toBe(admittedUnits);
    const latencies = [...((line.metrics.ConsumeLatency?.[1] ?? []) as number[])].sort((x, y) => x - y);
    expect(latencies).toEqual(Array.from({ length: METRICS_BATCH_CALLS }, (_, call) => call / 10));
    expect(lines[0]?._aws.Timestamp).toBe(1_000);
    // Most calls first; every count of every credential, and together every call.
    const byCalls = credentials
      .map((c, i) => tally(c.instanceId, c.appKey, expected[i] as { admitted: number; refused: number }))
      .sort((x, y) => Number(y.admitted) + Number(y.refused) - Number(x.admitted) - Number(x.refused));
    expect(tallies).toEqual(byCalls);
  });

  it('names the METRICS_TOP_CREDENTIALS credentials with the most calls in a write, and sums the rest as (others)', () => {
    const { tallies, batched } = collecting(() => 0);
    // Credential n calls n + 1 times, in an order that is not theirs, half of them refused.
    const count = METRICS_TOP_CREDENTIALS + 3;
    const order = Array.from({ length: count }, (_, n) => (n * 7) % count);
    for (const n of order) {
      for (let call = 0; call <= n; call += 1) {
        batched.consumption({
          ...credential('e'.repeat(32), `Key${String(n).padStart(13, '0')}`),
          admitted: call % 2 === 0,
          cost: 1,
        });
        batched.publish(record);
      }
    }
    batched.flush();
    const counts = (n: number) => ({
      admitted: Math.ceil((n + 1) / 2),
      ...(n > 0 ? { refused: Math.floor((n + 1) / 2) } : {}),
    });
    const named = Array.from({ length: METRICS_TOP_CREDENTIALS }, (_, i) => count - 1 - i);
    expect(tallies.slice(0, -1)).toEqual(
      named.map((n) => tally('e'.repeat(32), `Key${String(n).padStart(13, '0')}`, counts(n))),
    );
    // Credentials 0, 1 and 2: 1 + 2 + 3 calls, 4 admitted and 2 refused.
    expect(tallies.at(-1)).toEqual({
      tally: 'consume',
      project: TALLY_OTHERS,
      instance: TALLY_OTHERS,
      app_key: TALLY_OTHERS,
      admitted: 4,
      refused: 2,
    });
    expect(tallies).toHaveLength(METRICS_TOP_CREDENTIALS + 1);
  });

  it('at the end of the first invocation METRICS_FLUSH_INTERVAL_MS after the first it holds, writes them all, stamped with the first', () => {
    let now = 5_000;
    const { lines, tallies, batched } = collecting(() => now);
    const c = credential('c'.repeat(32), 'KeyOfC0000000001');
    batched.consumption({ ...c, admitted: true, cost: 2 });
    batched.publish(record);
    now += METRICS_FLUSH_INTERVAL_MS - 1;
    batched.consumption({ ...c, admitted: false, cost: 5 });
    batched.publish({ ...record, status: 429 });
    expect(lines).toEqual([]);
    expect(tallies).toEqual([]);
    now += 1;
    batched.publish({ ...record, fn: 'registry', status: 503, throttled: true });

    expect(lines.map(readEmf)).toEqual([
      {
        namespace: METRICS_NAMESPACE,
        dimensions: [['service']],
        values: { service: 'credential-quota' },
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
    expect(tallies).toEqual([tally(c.instanceId, c.appKey, { admitted: 1, refused: 1 })]);
    expect(lines.map((line) => line._aws.Timestamp)).toEqual([5_000, 5_000]);
    // The next batch starts afresh, at its own first call.
    batched.consumption({ ...c, admitted: true, cost: 1 });
    batched.publish(record);
    batched.flush();
    expect(lines).toHaveLength(3);
    expect(readEmf(lines[2]).metrics).toEqual({
      ConsumeAdmitted: ['Count', 1],
      AdmittedUnits: ['Count', 1],
      ConsumeLatency: ['Milliseconds', [1.3]],
    });
    expect(lines[2]?._aws.Timestamp).toBe(now);
    expect(tallies.at(-1)).toEqual(tally(c.instanceId, c.appKey, { admitted: 1 }));
    expect(tallies).toHaveLength(2);
  });

  it('writes what it holds when Lambda sends SIGTERM before shutting the container down, then exits', () => {
    const { lines, tallies, batched } = collecting(() => 0);
    let onTerm: (() => void) | undefined;
    const exit = vi.fn();
    flushOnShutdown(batched, {
      once: (event, listener) => {
        expect(event).toBe('SIGTERM');
        onTerm = listener;
      },
      exit: exit as unknown as (code: number) => never,
    });
    batched.consumption({ ...credential('d'.repeat(32), 'KeyOfD0000000001'), admitted: false, cost: 7 });
    batched.publish({ ...record, status: 429 });
    expect(lines).toEqual([]);
    expect(exit).not.toHaveBeenCalled();
    onTerm?.();
    expect(lines.map((line) => readEmf(line).metrics)).toEqual([
      { ConsumeRefused: ['Count', 1], RefusedUnits: ['Count', 7], ConsumeLatency: ['Milliseconds', [1.3]] },
    ]);
    expect(tallies).toEqual([tally('d'.repeat(32), 'KeyOfD0000000001', { refused: 1 })]);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('refuses a batch larger than one EMF metric can carry', () => {
    for (const batchCalls of [0, 1.5, METRICS_BATCH_CALLS + 1]) {
      expect(() => new ServiceMetrics({ batchCalls }), String(batchCalls)).toThrow(/batchCalls/);
    }
  });
});
