import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '#http/api-types.ts';
import { createServiceHandlers } from '#local/service-handlers.ts';
import type { FunctionName } from '#routing/route-types.ts';
import { type Operation, ROUTES } from '#routing/routes.ts';
import { OPERATION_SCHEMAS } from '#schemas/operations.ts';
import { createTestApi, type TestResponse, testContext, testResponse } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';
import { BASE_PATH, mappedEvent } from '../support/mapped-event.ts';

type Fixture = Awaited<ReturnType<typeof newInstance>>;
interface State {
  readonly fixture: Fixture;
  readonly boundApp: string;
  readonly boundKey: string;
  readonly spareApp: string;
  readonly boundQuota: string;
  createdApp?: string;
  createdQuota?: string;
  createdInstance?: string;
}
interface Step {
  readonly operation: Operation;
  readonly method: string;
  readonly url: (state: State) => string;
  readonly body?: (state: State) => unknown;
  readonly keep?: (state: State, response: TestResponse) => void;
}

const quotaBody = { name: 'moved_quota', call_limits: 10, time_unit: 'MINUTE', time_interval: 1 };

// One request per route that must succeed, in an order where each finds what it needs.
const STEPS: readonly Step[] = [
  { operation: 'health', method: 'GET', url: () => '/health' },
  {
    operation: 'openapi',
    method: 'GET',
    url: () => '/openapi.json',
    // Its server is the base path, so a client of the document calls the mapped paths.
    keep: (_s, r) => expect(r.body.servers).toEqual([{ url: `/${BASE_PATH}` }]),
  },
  {
    operation: 'createInstance',
    method: 'POST',
    url: (s) => `/v2/${s.fixture.project}/apigw/instances`,
    body: () => ({ instance_name: 'behind_mapping' }),
    keep: (s, r) => {
      s.createdInstance = r.body.instance_id;
    },
  },
  { operation: 'showInstance', method: 'GET', url: (s) => s.fixture.base },
  { operation: 'listInstances', method: 'GET', url: (s) => `/v2/${s.fixture.project}/apic/instances?limit=5` },
  {
    operation: 'createApp',
    method: 'POST',
    url: (s) => `${s.fixture.base}/apps`,
    body: () => ({ name: 'app-created' }),
    keep: (s, r) => {
      s.createdApp = r.body.id;
    },
  },
  { operation: 'showApp', method: 'GET', url: (s) => `${s.fixture.base}/apps/${s.boundApp}` },
  {
    operation: 'updateApp',
    method: 'PUT',
    url: (s) => `${s.fixture.base}/apps/${s.createdApp}`,
    body: () => ({ name: 'app-renamed', remark: 'behind a base path' }),
  },
  {
    operation: 'resetAppSecret',
    method: 'PUT',
    url: (s) => `${s.fixture.base}/apps/secret/${s.createdApp}`,
    body: () => ({}),
  },
  { operation: 'listApps', method: 'GET', url: (s) => `${s.fixture.base}/apps?name=app` },
  { operation: 'deleteApp', method: 'DELETE', url: (s) => `${s.fixture.base}/apps/${s.createdApp}` },
  {
    operation: 'createQuota',
    method: 'POST',
    url: (s) => `${s.fixture.base}/app-quotas`,
    body: () => quotaBody,
    keep: (s, r) => {
      s.createdQuota = r.body.app_quota_id;
    },
  },
  {
    operation: 'bindApps',
    method: 'POST',
    url: (s) => `${s.fixture.base}/app-quotas/${s.createdQuota}/binding-apps`,
    body: (s) => ({ app_ids: [s.spareApp] }),
  },
  {
    operation: 'listBoundApps',
    method: 'GET',
    url: (s) => `${s.fixture.base}/app-quotas/${s.createdQuota}/bound-apps`,
  },
  { operation: 'showQuota', method: 'GET', url: (s) => `${s.fixture.base}/app-quotas/${s.createdQuota}` },
  { operation: 'listQuotas', method: 'GET', url: (s) => `${s.fixture.base}/app-quotas` },
  {
    operation: 'updateQuota',
    method: 'PUT',
    url: (s) => `${s.fixture.base}/app-quotas/${s.createdQuota}`,
    body: () => ({ ...quotaBody, call_limits: 20 }),
  },
  {
    operation: 'unbindApp',
    method: 'DELETE',
    url: (s) => `${s.fixture.base}/app-quotas/${s.createdQuota}/bound-apps/${s.spareApp}`,
  },
  {
    operation: 'listBindableApps',
    method: 'GET',
    url: (s) => `${s.fixture.base}/app-quotas/${s.createdQuota}/bindable-apps`,
  },
  { operation: 'deleteQuota', method: 'DELETE', url: (s) => `${s.fixture.base}/app-quotas/${s.createdQuota}` },
  { operation: 'showAppQuota', method: 'GET', url: (s) => `${s.fixture.base}/apps/${s.boundApp}/bound-quota` },
  {
    operation: 'consume',
    method: 'POST',
    url: (s) => `${s.fixture.base}/quota-consumptions`,
    body: (s) => ({ app_key: s.boundKey }),
  },
  { operation: 'showUsage', method: 'GET', url: (s) => `${s.fixture.base}/apps/${s.boundApp}/quota-usage` },
  {
    operation: 'listUsageHistory',
    method: 'GET',
    url: (s) => `${s.fixture.base}/apps/${s.boundApp}/quota-usage/history`,
  },
  {
    operation: 'listQuotaUsage',
    method: 'GET',
    url: (s) => `${s.fixture.base}/app-quotas/${s.boundQuota}/usage`,
  },
  {
    operation: 'deleteInstance',
    method: 'DELETE',
    url: (s) => `/v2/${s.fixture.project}/apigw/instances/${s.createdInstance}`,
  },
];

let invoke: (fn: FunctionName, event: ApiEvent) => Promise<TestResponse>;
let state: State;

beforeAll(async () => {
  const api = await createTestApi();
  const handlers = createServiceHandlers({ ...api.deps, basePath: BASE_PATH });
  invoke = async (fn, event) => testResponse(await handlers[fn](event, testContext(fn)));
  const fixture = await newInstance(api);
  const boundApp = await fixture.createApp('app-bound');
  const spareApp = await fixture.createApp('app-spare');
  const boundQuota = await fixture.createQuota('bound_quota');
  expect((await fixture.bind(boundQuota, [boundApp])).status).toBe(201);
  const boundKey: string = (await fixture.call('GET', `/apps/${boundApp}`)).body.app_key;
  state = { fixture, boundApp, boundKey, spareApp, boundQuota };
});

describe('behind a custom domain with a base path', () => {
  it('plans one request for every route of the table', () => {
    expect(STEPS.map((step) => step.operation).sort()).toEqual(ROUTES.map((route) => route.operation).sort());
  });

  it('serves every route from what API Gateway matched, though rawPath carries the base path', async () => {
    for (const step of STEPS) {
      const { fn, event } = mappedEvent(step.method, step.url(state), state.fixture.token, step.body?.(state));
      expect(event.routeKey, step.operation).not.toBe('$default');
      expect(event.rawPath.startsWith(`/${BASE_PATH}/`)).toBe(true);
      const response = await invoke(fn, event);
      expect(response.status, `${step.operation}: ${JSON.stringify(response.body)}`).toBe(
        OPERATION_SCHEMAS[step.operation].status,
      );
      step.keep?.(state, response);
    }
  });
});
