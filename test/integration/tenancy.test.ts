import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '#auth/token-issuer.ts';
import { ROUTES, type Route } from '#routing/routes.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';
import { newAccessKey, signedCall } from '../support/signed-client.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { TEST_SECRET, tokenFor } from '../support/tokens.ts';

let api: TestApi;
let tried = 0;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => console.log(`tenancy matrix: ${tried} cross-tenant requests tried`));

interface Tenant {
  readonly project: string;
  readonly instanceId: string;
  readonly appId: string;
  readonly appKey: string;
  readonly quotaId: string;
}

/** A project with an instance holding an app bound to a quota. */
const tenant = async (): Promise<Tenant & { readonly call: Awaited<ReturnType<typeof newInstance>>['call'] }> => {
  const instance = await newInstance(api);
  const app = (await instance.call('POST', '/apps', { name: 'tenant-app' })).body;
  const quotaId = await instance.createQuota('tenant_quota', { call_limits: 100 });
  await instance.bind(quotaId, [app.id]);
  return { ...instance, appId: app.id, appKey: app.app_key, quotaId };
};

const urlOf = (route: Route, project: string, ids: { instanceId: string; appId: string; quotaId: string }) =>
  route.path
    .replace('{project_id}', project)
    .replace('{product}', 'apigw')
    .replace('{instance_id}', ids.instanceId)
    .replace('{app_id}', ids.appId)
    .replace('{app_quota_id}', ids.quotaId);

/** A body each route would accept from its owner, so only tenancy can refuse it. */
const bodyOf = (route: Route, owner: Tenant): unknown => {
  switch (route.operation) {
    case 'createInstance':
      return { instance_name: 'intruder' };
    case 'createApp':
    case 'updateApp':
      return { name: 'intruder-app' };
    case 'resetAppSecret':
      return {};
    case 'createQuota':
    case 'updateQuota':
      return { name: 'intruder_quota', call_limits: 1, time_unit: 'SECOND', time_interval: 1 };
    case 'bindApps':
      return { app_ids: [owner.appId] };
    case 'consume':
      return { app_key: owner.appKey, cost: 1000 };
    default:
      return undefined;
  }
};

const tokenRoutes = ROUTES.filter((route): route is Route & { action: string } => route.action !== null);
const instanceRoutes = tokenRoutes.filter((route) => route.path.includes('{instance_id}'));

describe('tenancy', () => {
  it('refuses every route to tokens of another project, without the action, expired, mis-signed or unsigned, and changes nothing', async () => {
    const owner = await tenant();
    const other = await tenant();
    const secret = new TextEncoder().encode(TEST_SECRET);
    const claims = { project_id: owner.project, actions: ['apig:*'] };
    const before = await tableSnapshot(api.db);
    for (const route of tokenRoutes) {
      const cases: Array<[string, string, number, string]> = [
        ['another project', await tokenFor(other.project), 403, 'APIG.1005'],
        [
          'without the action',
          await tokenFor(
            owner.project,
            tokenRoutes.map((r) => r.action).filter((action) => action !== route.action),
          ),
          403,
          'APIG.1005',
        ],
        [
          'expired',
          await new SignJWT(claims)
            .setProtectedHeader({ alg: 'HS256' })
            .setExpirationTime(Math.floor(Date.now() / 1000) - 30)
            .sign(secret),
          401,
          'APIG.1002',
        ],
        [
          'another key',
          await signToken('not-the-deployment-secret', { projectId: owner.project, actions: ['apig:*'] }),
          401,
          'APIG.1002',
        ],
        ['alg none', new UnsecuredJWT(claims).setExpirationTime('5m').encode(), 401, 'APIG.1002'],
      ];
      for (const [why, token, status, code] of cases) {
        const response = await api.call(route.method, urlOf(route, owner.project, owner), {
          token,
          body: bodyOf(route, owner),
        });
        tried += 1;
        expect(response.status, `${route.operation}: ${why}`).toBe(status);
        expect(response.body.error_code, `${route.operation}: ${why}`).toBe(code);
      }
    }
    expect(await tableSnapshot(api.db)).toEqual(before);
  });

  it("refuses every route to requests signed with another project's key, a key without the action, or another X-Project-Id, and changes nothing", async () => {
    const owner = await tenant();
    const other = await tenant();
    const othersKey = await newAccessKey(api, other.project);
    const ownKey = await newAccessKey(api, owner.project);
    const before = await tableSnapshot(api.db);
    for (const route of tokenRoutes) {
      const without = await newAccessKey(
        api,
        owner.project,
        tokenRoutes.map((r) => r.action).filter((action) => action !== route.action),
      );
      const call = { method: route.method, path: urlOf(route, owner.project, owner), body: bodyOf(route, owner) };
      const cases: Array<[string, Awaited<ReturnType<typeof signedCall>>]> = [
        ["another project's key", await signedCall(api, othersKey, call)],
        ['a key without the action', await signedCall(api, without, call)],
        [
          'X-Project-Id of another project',
          await signedCall(api, ownKey, { ...call, headers: { 'X-Project-Id': other.project } }),
        ],
      ];
      for (const [why, response] of cases) {
        tried += 1;
        expect(response.status, `${route.operation}: ${why}`).toBe(403);
        expect(response.body.error_code, `${route.operation}: ${why}`).toBe('APIG.1005');
      }
    }
    // The keys made inside the loop are the only change: nothing else was written.
    const after = (await tableSnapshot(api.db)).filter((item) => !item.includes('"access_key'));
    expect(after).toEqual(before.filter((item) => !item.includes('"access_key')));
  });

  it("does not show or change another project's instance, apps or quotas through the caller's own project", async () => {
    const owner = await tenant();
    const other = await tenant();
    const before = await tableSnapshot(api.db);
    for (const route of instanceRoutes) {
      const response = await api.call(route.method, urlOf(route, other.project, owner), {
        token: await tokenFor(other.project),
        body: bodyOf(route, owner),
      });
      tried += 1;
      expect(response.status, route.operation).toBe(404);
      expect(response.body.error_code, route.operation).toBe('APIG.3030');
    }
    expect(await tableSnapshot(api.db)).toEqual(before);
  });

  it("does not show or change one instance's apps or quotas through another instance of the same project", async () => {
    const owner = await tenant();
    const sibling = await api.call('POST', `/v2/${owner.project}/apigw/instances`, {
      token: await tokenFor(owner.project),
      body: { instance_name: 'sibling' },
    });
    const siblingId: string = sibling.body.instance_id;
    const before = await tableSnapshot(api.db);
    const token = await tokenFor(owner.project);
    for (const route of instanceRoutes) {
      if (!/app_id|app_quota_id|quota-consumptions|binding/.test(route.path)) continue;
      const response = await api.call(route.method, urlOf(route, owner.project, { ...owner, instanceId: siblingId }), {
        token,
        body: bodyOf(route, owner),
      });
      tried += 1;
      expect(response.status, route.operation).toBe(404);
      expect(['APIG.3004', 'APIG.3093'], route.operation).toContain(response.body.error_code);
    }
    expect(await tableSnapshot(api.db)).toEqual(before);
    const listed = await api.call('GET', `/v2/${owner.project}/apigw/instances/${siblingId}/apps`, { token });
    expect(listed.body).toEqual({ total: 0, size: 0, apps: [] });
  });
});
