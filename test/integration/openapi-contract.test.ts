/**
 * Every route's answers, sampled against DynamoDB Local, held against the OpenAPI document with a
 * JSON-Schema validator: a status, header or body field the document does not describe fails.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '#openapi/openapi-document.ts';
import { type Operation, ROUTES, type Route } from '#routing/routes.ts';
import { createTestApi, freshProject, type TestApi, type TestResponse } from '../support/api-client.ts';
import { type Fault, injectFaults } from '../support/fault-injector.ts';
import { newInstance } from '../support/fixtures.ts';
import { conformanceChecker } from '../support/openapi-conformance.ts';
import { tokenFor } from '../support/tokens.ts';
import { seedUsageWindow } from '../support/usage-history.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

const document = openApiDocument({ serverUrl: '/' });
const check = conformanceChecker(document);

/** One request of a sample: the route's path with these parameters, and what to send. */
interface Sample {
  readonly params?: Record<string, string>;
  readonly method?: string;
  readonly token?: string | null;
  readonly body?: unknown;
  readonly query?: string;
  readonly headers?: Record<string, string>;
  /** DynamoDB faults the request meets (a 503's sample). */
  readonly faults?: readonly Fault[];
  /** The status the sample is meant to draw (so a sample that misses its aim fails). */
  readonly expect: number;
}

const quotaBody = (name: string) => ({ name, call_limits: 5, time_unit: 'MINUTE', time_interval: 1 });
const unknownId = () => randomUUID().replaceAll('-', '');
const throttled = (operation: string): readonly Fault[] => [{ operation, kind: 'throttle' }];

/** An instance with app A bound to quota Q (which has a reset time) and app B bound to none. */
const world = async () => {
  const instance = await newInstance(api);
  const app = async (name: string) => (await instance.call('POST', '/apps', { name })).body;
  const [a, b] = [await app('app_a'), await app('app_b')];
  const quotaId = await instance.createQuota('quota_q', { call_limits: 5, reset_time: '2026-01-01 00:00:00' });
  await instance.bind(quotaId, [a.id]);
  const params = { project_id: instance.project, product: 'apigw', instance_id: instance.instanceId };
  return { ...instance, params, a, b, quotaId };
};
type World = Awaited<ReturnType<typeof world>>;

const createWithToken = async (w: World, name: string, clientToken: string) =>
  (
    await api.call('POST', `${w.base}/apps`, {
      token: w.token,
      body: { name },
      headers: { 'x-client-token': clientToken },
    })
  ).body;

// Each route's own samples: its success and the errors only it has. The errors every route with a
// token has (401, 403, 400 and 404 on its path's ids, 405) are sampled for all alike below.
const OWN: Record<Operation, (w: World) => Promise<Sample[]> | Sample[]> = {
  createInstance: () => [{ body: { instance_name: 'second' }, expect: 201 }],
  showInstance: () => [{ expect: 200 }],
  listInstances: () => [{ query: 'name=gate&limit=5', expect: 200 }],
  createApp: async (w) => {
    // A reset that could not remove the create's record: its first answer is void (CQ.4090).
    const spent = await createWithToken(w, 'spent', 'spent-token');
    const faults = injectFaults(api.db.client, ...throttled('DeleteItem'));
    await w.call('PUT', `/apps/secret/${spent.id}`, {}).finally(() => faults.remove());
    return [
      { body: { name: 'app_c' }, headers: { 'x-client-token': 'created-once' }, expect: 201 },
      { body: { name: 'app_d' }, headers: { 'x-client-token': 'created-once' }, expect: 422 },
      { body: { name: 'spent' }, headers: { 'x-client-token': 'spent-token' }, expect: 409 },
      { body: { name: 'app_f' }, faults: throttled('TransactWriteItems'), expect: 503 },
      { body: { name: 'app_a' }, expect: 400 },
      { body: { name: 'app_e', app_key: w.a.app_key }, expect: 400 },
    ];
  },
  showApp: (w) => [
    { params: { app_id: w.a.id }, expect: 200 },
    { params: { app_id: w.a.id }, faults: throttled('GetItem'), expect: 503 },
  ],
  listApps: () => [
    { query: 'name=app&precise_search=name', expect: 200 },
    { query: 'status=3', expect: 400 },
  ],
  deleteApp: (w) => [{ params: { app_id: w.b.id }, expect: 204 }],
  createQuota: () => [
    { body: quotaBody('quota_new'), expect: 201 },
    { body: { ...quotaBody('quota_alerts'), alert_thresholds: [90, 50] }, expect: 201 },
    { body: quotaBody('quota_q'), expect: 400 },
    { body: { ...quotaBody('quota_bad_alerts'), alert_thresholds: [50, 50] }, expect: 400 },
  ],
  bindApps: async (w) => {
    const other = await w.createQuota('quota_other');
    return [
      { params: { app_quota_id: w.quotaId }, body: { app_ids: [w.b.id] }, expect: 201 },
      { params: { app_quota_id: other }, body: { app_ids: [w.a.id] }, expect: 400 },
      { params: { app_quota_id: w.quotaId }, body: { app_ids: [unknownId()] }, expect: 404 },
    ];
  },
  listBoundApps: (w) => [{ params: { app_quota_id: w.quotaId }, expect: 200 }],
  showQuota: (w) => [{ params: { app_quota_id: w.quotaId }, expect: 200 }],
  listQuotas: () => [{ expect: 200 }],
  updateQuota: async (w) => {
    await w.createQuota('quota_taken');
    return [
      { params: { app_quota_id: w.quotaId }, body: quotaBody('quota_q2'), expect: 200 },
      { params: { app_quota_id: w.quotaId }, body: { ...quotaBody('quota_q2'), alert_thresholds: [75] }, expect: 200 },
      { params: { app_quota_id: w.quotaId }, body: quotaBody('quota_taken'), expect: 400 },
    ];
  },
  deleteQuota: (w) => [{ params: { app_quota_id: w.quotaId }, expect: 204 }],
  unbindApp: (w) => [
    { params: { app_quota_id: w.quotaId, app_id: w.a.id }, expect: 204 },
    { params: { app_quota_id: w.quotaId, app_id: w.b.id }, expect: 404 },
  ],
  listBindableApps: (w) => [{ params: { app_quota_id: w.quotaId }, query: 'app_name=app', expect: 200 }],
  showAppQuota: (w) => [
    { params: { app_id: w.a.id }, expect: 200 },
    { params: { app_id: w.b.id }, expect: 404 },
  ],
  consume: (w) => [
    { body: { app_key: w.a.app_key }, expect: 200 },
    { body: { app_key: w.b.app_key }, expect: 200 },
    // More than the limit: refused in any window, however the calls fall on the minute.
    { body: { app_key: w.a.app_key, cost: 6 }, expect: 429 },
    { body: { app_key: 'no-such-key-0000' }, expect: 404 },
    { body: { app_key: w.a.app_key, cost: 0 }, expect: 400 },
  ],
  showUsage: (w) => [
    { params: { app_id: w.a.id }, expect: 200 },
    { params: { app_id: w.b.id }, expect: 200 },
  ],
  listUsageHistory: async (w) => {
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    await seedUsageWindow(api.db, {
      projectId: w.project,
      instanceId: w.instanceId,
      appId: w.a.id,
      quotaId: w.quotaId,
      used: 4,
      limit: 5,
      windowStartMs: start,
      windowEndMs: start + 60_000,
    });
    return [
      { params: { app_id: w.a.id }, query: 'from=2025-12-31T00:00:00Z&limit=5', expect: 200 },
      { params: { app_id: w.a.id }, query: 'from=yesterday', expect: 400 },
    ];
  },
  listQuotaUsage: (w) => [
    { params: { app_quota_id: w.quotaId }, query: 'offset=0&limit=5', expect: 200 },
    { params: { app_quota_id: w.quotaId }, query: 'offset=first', expect: 400 },
  ],
  updateApp: (w) => [
    { params: { app_id: w.b.id }, body: { name: 'app_b2', remark: 'renamed' }, expect: 200 },
    { params: { app_id: w.b.id }, body: { name: 'app_a' }, expect: 400 },
  ],
  resetAppSecret: async (w) => {
    const created = await createWithToken(w, 'app_g', 'reset-token');
    return [
      { params: { app_id: w.b.id }, body: {}, expect: 200 },
      // The secret is replaced, the create's record is not removed: the outcome is unknown.
      { params: { app_id: created.id }, body: {}, faults: throttled('DeleteItem'), expect: 503 },
    ];
  },
  deleteInstance: async (w) => {
    const empty = await api.call('POST', `/v2/${w.project}/apigw/instances`, {
      token: w.token,
      body: { instance_name: 'empty' },
    });
    return [{ expect: 400 }, { params: { instance_id: empty.body.instance_id }, expect: 204 }];
  },
  health: () => [{ token: null, expect: 200 }],
  openapi: () => [{ token: null, expect: 200 }],
};

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];

/** The errors every route that needs a token answers, and the 405 of every path. */
const common = async (route: Route, w: World, own: Sample): Promise<Sample[]> => {
  const other = METHODS.find((method) => !ROUTES.some((r) => r.path === route.path && r.method === method));
  const samples: Sample[] = [{ ...own, method: other, expect: 405 }];
  if (route.action === null) return samples;
  samples.push({ ...own, token: null, expect: 401 });
  samples.push({ ...own, token: await tokenFor(freshProject()), expect: 403 });
  samples.push({ ...own, token: await tokenFor(w.project, ['apig:nothing']), expect: 403 });
  const ids = ['instance_id', 'app_id', 'app_quota_id'].filter((id) => route.path.includes(`{${id}}`));
  for (const id of ids) {
    samples.push({ ...own, params: { ...own.params, [id]: 'not-an-id' }, expect: 400 });
    samples.push({ ...own, params: { ...own.params, [id]: unknownId() }, expect: 404 });
  }
  if ('body' in own) samples.push({ ...own, body: [], expect: 400 });
  return samples;
};

const urlOf = (route: Route, w: World, sample: Sample): string => {
  const params: Record<string, string> = { ...w.params, ...sample.params };
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `{${name}}`);
  return sample.query ? `${path}?${sample.query}` : path;
};

const send = async (route: Route, w: World, sample: Sample): Promise<TestResponse> => {
  const faults = injectFaults(api.db.client, ...(sample.faults ?? []));
  try {
    return await api.call(sample.method ?? route.method, urlOf(route, w, sample), {
      token: sample.token === null ? undefined : (sample.token ?? w.token),
      body: sample.body,
      headers: sample.headers ?? {},
    });
  } finally {
    faults.remove();
  }
};

describe('every answer of every route is described by the OpenAPI document', () => {
  for (const route of ROUTES) {
    it(`${route.operation}: ${route.method} ${route.path}`, async () => {
      const w = await world();
      const own = await OWN[route.operation](w);
      const samples = [...(await common(route, w, own[0] as Sample)), ...own];
      const seen: string[] = [];
      const problems: string[] = [];
      // Errors first: the route's own success may delete what they are aimed at.
      for (const sample of samples) {
        const response = await send(route, w, sample);
        seen.push(`${sample.expect}->${response.status}`);
        problems.push(...check(route, response));
      }
      expect(seen).toEqual(samples.map((sample) => `${sample.expect}->${sample.expect}`));
      expect(problems).toEqual([]);
    });
  }
});
