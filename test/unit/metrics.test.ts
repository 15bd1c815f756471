import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServiceHandlers } from '#local/service-handlers.ts';
import { METRICS_NAMESPACE, ServiceMetrics } from '#observability/metrics.ts';
import { freshProject, testEvent } from '../support/api-client.ts';
import { callLogged, invokeLogged, readEmf } from '../support/emf.ts';
import { type FakeApi, fakeApiWithInstance } from '../support/fake-api.ts';
import { tokenFor } from '../support/tokens.ts';

// The metrics of answers that need no stored data beyond the instance: refusals and an empty
// list. Those of admissions and of DynamoDB's faults are in test/integration/metrics.test.ts.
const INSTANCE_ID = 'c900c5612dbe451bb43cbcc49cfaf2f3';

let api: FakeApi;
let handlers: ReturnType<typeof createServiceHandlers>;
let fixture: { readonly base: string; readonly token: string };

beforeAll(async () => {
  const project = freshProject();
  api = fakeApiWithInstance(project, INSTANCE_ID);
  // The functions' own stack, as `functions/*.ts` build it, with the metrics a Lambda container has.
  handlers = createServiceHandlers({ ...api.deps, metrics: new ServiceMetrics() });
  fixture = { base: `/v2/${project}/apigw/instances/${INSTANCE_ID}`, token: await tokenFor(project) };
});
afterEach(() => {
  vi.restoreAllMocks();
  api.fake.assertComplete();
});

const call = (method: string, path: string, body?: unknown) => callLogged(handlers, fixture, method, path, body);

describe('EMF metrics of the deployed handler stack', () => {
  it('errors count by function: 4xx of the data plane and the control plane, nothing per instance', async () => {
    const unknownKey = await call('POST', '/quota-consumptions', { app_key: 'NoSuchKey0000000' });
    expect(unknownKey.response.status).toBe(404);
    expect(unknownKey.emf.map(readEmf)).toEqual([
      {
        namespace: METRICS_NAMESPACE,
        dimensions: [['service', 'function']],
        values: { service: 'credential-quota', function: 'quota-consumptions' },
        metrics: { ClientErrors: ['Count', 1] },
      },
    ]);
    const missingQuota = await call('GET', `/app-quotas/${'0'.repeat(32)}`);
    expect(missingQuota.response.status).toBe(404);
    expect(missingQuota.emf.map((line) => readEmf(line).values)).toEqual([
      { service: 'credential-quota', function: 'app-quotas' },
    ]);
    const badBody = await call('POST', '/apps', { name: 'x' });
    expect(badBody.response.status).toBe(400);
    expect(badBody.emf.map((line) => [readEmf(line).values.function, readEmf(line).metrics])).toEqual([
      ['registry', { ClientErrors: ['Count', 1] }],
    ]);
  });

  it('a success outside the data plane writes nothing', async () => {
    expect((await call('GET', '/apps')).emf).toEqual([]);
    const health = testEvent('GET', '/health');
    expect((await invokeLogged(handlers, health.fn, health.event)).emf).toEqual([]);
  });
});
