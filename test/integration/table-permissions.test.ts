import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_TABLE_ACTIONS } from '#infra/table-access.ts';
import { FUNCTION_NAMES } from '#routing/route-types.ts';
import { routesOf } from '#routing/routes.ts';
import { freshProject, type TestResponse } from '../support/api-client.ts';
import { type CounterStream, openCounterStream } from '../support/counter-stream.ts';
import { createRecordedService, grantedPermissions, type RecordedService } from '../support/table-permissions.ts';
import { tokenFor } from '../support/tokens.ts';

/**
 * Proves FUNCTION_TABLE_ACTIONS by use: every route of every function is driven through realistic
 * calls (successes and the usual 404s) against DynamoDB Local, each function over its own client,
 * and the IAM permissions its requests needed must be exactly those the stack grants it: none
 * missing (AccessDenied in AWS) and none unused (a dead grant).
 */

let service: RecordedService;

const expectStatus = (response: TestResponse, status: number, what: string) =>
  expect(response.status, `${what}: ${JSON.stringify(response.body)}`).toBe(status);

/** The whole life of an instance, through every route of every function. */
const driveEveryRoute = async () => {
  const project = freshProject();
  const token = await tokenFor(project);
  const call = (method: string, path: string, body?: unknown) => service.call(method, path, { token, body });

  // registry: instances.
  const instances = `/v2/${project}/apigw/instances`;
  const instance = await call('POST', instances, { instance_name: 'gateway', description: 'permissions' });
  expectStatus(instance, 201, 'create instance');
  const base = `${instances}/${instance.body.instance_id}`;
  expectStatus(await call('GET', base), 200, 'show instance');
  expectStatus(await call('GET', `${instances}?name=gate`), 200, 'list instances');
  expectStatus(await call('GET', `${instances}/${'0'.repeat(32)}`), 404, 'show a missing instance');

  // registry: apps.
  const apps: { id: string; key: string }[] = [];
  for (const name of ['alpha', 'bravo', 'charlie', 'delta']) {
    const created = await call('POST', `${base}/apps`, { name, remark: 'permissions' });
    expectStatus(created, 201, `create app ${name}`);
    apps.push({ id: created.body.id, key: created.body.app_key });
  }
  const [alpha, bravo, charlie, delta] = apps as [
    (typeof apps)[0],
    (typeof apps)[0],
    (typeof apps)[0],
    (typeof apps)[0],
  ];
  expectStatus(await call('GET', `${base}/apps/${alpha.id}`), 200, 'show app');
  expectStatus(await call('GET', `${base}/apps?limit=2`), 200, 'list apps');
  expectStatus(await call('POST', `${base}/apps`, { name: 'alpha' }), 400, 'create an app with a taken name');
  expectStatus(
    await call('PUT', `${base}/apps/${alpha.id}`, { name: 'alpha', remark: 'kept name' }),
    200,
    'update app',
  );
  expectStatus(await call('PUT', `${base}/apps/${alpha.id}`, { name: 'alpha-renamed' }), 200, 'rename app');
  expectStatus(await call('PUT', `${base}/apps/${alpha.id}`, { name: 'alpha' }), 200, 'rename app back');
  expectStatus(await call('PUT', `${base}/apps/secret/${alpha.id}`, {}), 200, 'reset app secret');

  // app-quotas: quotas, bindings, lists.
  const quota = await call('POST', `${base}/app-quotas`, {
    name: 'metered',
    call_limits: 3,
    time_unit: 'HOUR',
    time_interval: 1,
  });
  expectStatus(quota, 201, 'create quota');
  const quotaPath = `${base}/app-quotas/${quota.body.app_quota_id}`;
  expectStatus(await call('GET', quotaPath), 200, 'show quota');
  expectStatus(await call('GET', `${base}/app-quotas`), 200, 'list quotas');
  expectStatus(await call('GET', `${base}/app-quotas/${'0'.repeat(32)}`), 404, 'show a missing quota');
  expectStatus(await call('POST', `${quotaPath}/binding-apps`, { app_ids: [alpha.id] }), 201, 'bind one app');
  // alpha is already bound: the transaction binds bravo and checks that alpha still is.
  expectStatus(await call('POST', `${quotaPath}/binding-apps`, { app_ids: [alpha.id, bravo.id] }), 201, 'bind more');
  expectStatus(await call('GET', `${quotaPath}/bound-apps`), 200, 'list bound apps');
  expectStatus(await call('GET', `${quotaPath}/bindable-apps`), 200, 'list bindable apps');
  // A new name and limit: name claims swap, and the bound apps get the new settings.
  const renamed = await call('PUT', quotaPath, {
    name: 'metered_v2',
    call_limits: 2,
    time_unit: 'HOUR',
    time_interval: 1,
  });
  expectStatus(renamed, 200, 'update quota');
  expectStatus(await call('DELETE', `${quotaPath}/bound-apps/${bravo.id}`), 204, 'unbind app');

  // quota-consumptions: the data plane.
  const consume = (key: string) => call('POST', `${base}/quota-consumptions`, { app_key: key });
  expectStatus(await consume(alpha.key), 200, 'consume in a fresh window');
  expectStatus(await consume(alpha.key), 200, 'consume in the open window');
  expectStatus(await consume(alpha.key), 429, 'consume in an exhausted window');
  expectStatus(await consume(charlie.key), 200, 'consume with an unbound app');
  expectStatus(await consume('Unknown0App0Key0000000000000000'), 404, 'consume with an unknown key');

  // registry: an app's quota and usage, then delete a bound app.
  expectStatus(await call('GET', `${base}/apps/${alpha.id}/quota-usage`), 200, 'show usage');
  expectStatus(await call('GET', `${base}/apps/${alpha.id}/quota-usage/history`), 200, 'usage history');
  expectStatus(await call('GET', `${base}/app-quotas/${quota.body.app_quota_id}/usage`), 200, "a quota's apps by use");
  expectStatus(await call('GET', `${base}/apps/${alpha.id}/bound-quota`), 200, 'show bound quota');
  expectStatus(await call('GET', `${base}/apps/${charlie.id}/bound-quota`), 404, 'show the quota of an unbound app');
  expectStatus(await call('DELETE', `${base}/apps/${alpha.id}`), 204, 'delete a bound app');

  // app-quotas: delete a quota that still has bindings.
  const doomed = await call('POST', `${base}/app-quotas`, {
    name: 'doomed',
    call_limits: 10,
    time_unit: 'MINUTE',
    time_interval: 1,
  });
  expectStatus(doomed, 201, 'create a second quota');
  const doomedPath = `${base}/app-quotas/${doomed.body.app_quota_id}`;
  expectStatus(await call('POST', `${doomedPath}/binding-apps`, { app_ids: [charlie.id, delta.id] }), 201, 'bind two');
  expectStatus(await call('DELETE', doomedPath), 204, 'delete a quota with bindings');
  expectStatus(await call('GET', doomedPath), 404, 'show the deleted quota');
  // app-quotas on its schedule: the sweep of quota deletes under way (none left: the DELETE
  // finished) and of split updates (none: the update above was one transaction).
  expect(await service.sweep()).toEqual({
    deletes: { finished: 0, stale: 0, failed: 0, deferred: false },
    updates: { caughtUp: 0, dropped: 0, left: 0, failed: 0, deferred: false },
  });

  // registry: delete an unbound app, the health check, the OpenAPI document and an unmatched request ($default).
  expectStatus(await call('DELETE', `${base}/apps/${delta.id}`), 204, 'delete an unbound app');
  expectStatus(await call('DELETE', base), 400, 'delete an instance that still holds apps');
  const spare = await call('POST', instances, { instance_name: 'spare' });
  expectStatus(await call('DELETE', `${instances}/${spare.body.instance_id}`), 204, 'delete an empty instance');
  expectStatus(await service.call('GET', '/health'), 200, 'health');
  expectStatus(await service.call('GET', '/openapi.json'), 200, 'OpenAPI document');
  expectStatus(await call('GET', `/v2/${project}/apigw/nothing-here`), 404, 'unmatched path');
};

let stream: CounterStream;

beforeAll(async () => {
  service = await createRecordedService();
  await driveEveryRoute();
  // app-quotas' third face: the table's stream of every change above, through its own client
  // (alpha's window reached 100% and closed with alpha's delete).
  stream = await openCounterStream(service.appQuotasDb, { start: 'TRIM_HORIZON' });
  await stream.deliver();
});
afterAll(() => stream.close());

describe('table permissions, proven by use', () => {
  it('app-quotas processed the stream: the threshold events of the window that reached its limit', () => {
    expect(stream.sent.map((event) => event.detail.threshold)).toEqual([80, 100]);
  });

  it.each(FUNCTION_NAMES)('%s: every route was driven to a 2xx', (fn) => {
    const operations = routesOf(fn).map((route) => route.operation);
    expect([...service.succeeded[fn]].sort()).toEqual([...operations].sort());
  });

  it.each(FUNCTION_NAMES)('%s: needed no permission that FUNCTION_TABLE_ACTIONS does not grant', (fn) => {
    const granted = grantedPermissions(FUNCTION_TABLE_ACTIONS[fn]);
    const missing = [...service.recorders[fn].used].filter((permission) => !granted.has(permission));
    expect(missing).toEqual([]);
  });

  it.each(FUNCTION_NAMES)('%s: used every permission FUNCTION_TABLE_ACTIONS grants (no dead grant)', (fn) => {
    const { used } = service.recorders[fn];
    const unused = [...grantedPermissions(FUNCTION_TABLE_ACTIONS[fn])].filter((permission) => !used.has(permission));
    expect(unused).toEqual([]);
  });
});
