import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { newId } from '#domain/ids.ts';
import { migrateTable } from '#store/migration/migration-store.ts';
import {
  appKey,
  appKeyClaimKey,
  appListKey,
  appNameKey,
  boundAppKey,
  counterKey,
  instanceKey,
  quotaKey,
  quotaListKey,
  quotaNameKey,
  unboundAppKey,
} from '#store/table/keys.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { manualClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';

const run = promisify(execFile);
const T0 = Date.parse('2026-11-23T07:00:00.000Z');
const clock = manualClock(T0);
let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ clock });
});
beforeEach(() => clock.set(T0));

const put = (item: Record<string, unknown>) =>
  api.db.client.send(new PutCommand({ TableName: api.db.tableName, Item: item }));
const get = async (key: { pk: string; sk: string }) =>
  (await api.db.client.send(new GetCommand({ TableName: api.db.tableName, Key: key, ConsistentRead: true }))).Item;

/**
 * An instance written exactly as the layout before counters wrote it: a quota (no `subcounters`)
 * and apps whose items carry the binding, the copy of the quota's settings and the usage, with
 * their claims and the instance's counts; no counter items.
 */
const oldLayout = async (quotaLimit: number, apps: ReadonlyArray<{ name: string; used?: number; bound: boolean }>) => {
  const instance = await newInstance(api);
  const { project, instanceId } = instance;
  const quotaId = newId();
  const created = new Date(T0 - 3_600_000);
  await put({
    ...quotaKey(project, instanceId, quotaId),
    type: 'quota',
    lsi1sk: quotaListKey(created, quotaId),
    project_id: project,
    instance_id: instanceId,
    quota_id: quotaId,
    name: 'legacy_quota',
    name_lc: 'legacy_quota',
    call_limits: quotaLimit,
    time_unit: 'MINUTE',
    time_interval: 1,
    remark: '',
    create_time: created.toISOString(),
    bound_app_num: apps.filter((app) => app.bound).length,
    config_version: 1,
  });
  await put({ ...quotaNameKey(project, instanceId, 'legacy_quota'), type: 'quota-name', quota_id: quotaId });
  const made = [];
  for (const app of apps) {
    const appId = newId();
    const key = `legacyKey${app.name}0000`;
    const bound = new Date(T0 - 1_800_000);
    await put({
      ...appKey(project, instanceId, appId),
      type: 'app',
      lsi1sk: appListKey(app.name, appId),
      lsi2sk: app.bound ? boundAppKey(quotaId, bound, appId) : unboundAppKey(app.name, appId),
      project_id: project,
      instance_id: instanceId,
      app_id: appId,
      name: app.name,
      name_lc: app.name.toLowerCase(),
      remark: '',
      status: 1,
      app_key: key,
      secret_hash: 'scrypt$legacy$hash',
      register_time: created.toISOString(),
      update_time: created.toISOString(),
      ...(app.bound
        ? {
            quota_id: quotaId,
            bound_time: bound.toISOString(),
            limit_units: quotaLimit,
            window_ms: 60_000,
            config_version: 1,
            ...(app.used === undefined
              ? {}
              : { window_end_ms: T0 + 30_000, remaining: quotaLimit - app.used, last_consume: 'an-old-request' }),
          }
        : {}),
    });
    await put({ ...appNameKey(project, instanceId, app.name), type: 'app-name', app_id: appId });
    await put({ ...appKeyClaimKey(project, instanceId, key), type: 'app-key', app_id: appId });
    made.push({ appId, key, ...app });
  }
  await api.db.client.send(
    new UpdateCommand({
      TableName: api.db.tableName,
      Key: instanceKey(project, instanceId),
      UpdateExpression: 'SET app_num = :apps, quota_num = :one',
      ExpressionAttributeValues: { ':apps': apps.length, ':one': 1 },
    }),
  );
  const consume = (key: string, cost = 1) => instance.call('POST', '/quota-consumptions', { app_key: key, cost });
  const usage = async (appId: string) => (await instance.call('GET', `/apps/${appId}/quota-usage`)).body;
  return { ...instance, quotaId, apps: made, consume, usage };
};

const countersOfTable = async () => {
  const page = await api.db.client.send(new ScanCommand({ TableName: api.db.tableName, ConsistentRead: true }));
  return (page.Items ?? []).filter((item) => item.type === 'counter');
};

describe('a table written by the layout before counters', () => {
  it('is served correctly: the first consume moves the app, keeping the units its window used', async () => {
    const { consume, usage, apps, project, instanceId, quotaId } = await oldLayout(5, [
      { name: 'busy', used: 3, bound: true },
      { name: 'idle', bound: true },
      { name: 'free', bound: false },
    ]);
    const [busy, idle, free] = apps as [(typeof apps)[number], (typeof apps)[number], (typeof apps)[number]];
    expect(await get(counterKey(project, instanceId, busy.key))).toBeUndefined();
    expect((await consume(busy.key)).body).toMatchObject({ app_id: busy.appId, app_quota_id: quotaId, remaining: 1 });
    expect(await get(counterKey(project, instanceId, busy.key))).toMatchObject({
      remaining: 1,
      window_end_ms: T0 + 30_000,
    });
    const moved = await get(appKey(project, instanceId, busy.appId));
    expect(moved).toMatchObject({ subcounters: 1, quota_id: quotaId });
    for (const gone of ['limit_units', 'window_ms', 'config_version', 'window_end_ms', 'remaining', 'last_consume']) {
      expect(moved).not.toHaveProperty(gone);
    }
    expect((await consume(busy.key)).status).toBe(200);
    expect((await consume(busy.key)).status).toBe(429);
    expect((await consume(idle.key)).body).toMatchObject({ app_quota_id: quotaId, remaining: 4 });
    expect((await consume(free.key)).body).toMatchObject({ app_id: free.appId, app_quota_id: null });
    expect(await usage(busy.appId)).toMatchObject({ used: 5, remaining: 0 });
  });

  it('is served correctly by the control plane too: each operation moves the apps it touches first', async () => {
    const { call, bind, usage, apps, quotaId, consume } = await oldLayout(10, [
      { name: 'kept', used: 4, bound: true },
      { name: 'dropped', bound: true },
      { name: 'joiner', bound: false },
    ]);
    const [kept, dropped, joiner] = apps as [(typeof apps)[number], (typeof apps)[number], (typeof apps)[number]];
    expect(await usage(kept.appId)).toMatchObject({ used: 4, remaining: 6 });
    expect((await call('DELETE', `/app-quotas/${quotaId}/bound-apps/${dropped.appId}`)).status).toBe(204);
    expect((await bind(quotaId, [joiner.appId, kept.appId])).status).toBe(201);
    const body = { name: 'legacy_quota', call_limits: 8, time_unit: 'MINUTE', time_interval: 1 };
    expect((await call('PUT', `/app-quotas/${quotaId}`, body)).status).toBe(200);
    expect(await usage(kept.appId)).toMatchObject({ limit: 8, used: 4, remaining: 4 });
    expect((await consume(dropped.key)).body.app_quota_id).toBeNull();
    expect((await consume(joiner.key)).body).toMatchObject({ app_quota_id: quotaId, remaining: 7 });
    const bound = (await call('GET', `/app-quotas/${quotaId}/bound-apps`)).body;
    expect(bound.apps.map((app: { app_id: string }) => app.app_id).sort()).toEqual([joiner.appId, kept.appId].sort());
    expect((await call('GET', `/app-quotas/${quotaId}`)).body.bound_app_num).toBe(2);
    expect((await call('DELETE', `/app-quotas/${quotaId}`)).status).toBe(204);
    expect((await consume(kept.key)).body.app_quota_id).toBeNull();
  });

  it('`npm run migrate` moves every app once; a second run moves none and changes nothing', async () => {
    const { apps, consume, usage } = await oldLayout(6, [
      { name: 'one', used: 2, bound: true },
      { name: 'two', bound: true },
      { name: 'three', bound: false },
    ]);
    const before = (await countersOfTable()).length;
    const env = { ...process.env, TABLE_NAME: api.db.tableName, DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') };
    const first = await run(process.execPath, ['scripts/migrate.ts'], { env });
    expect(first.stdout.trim()).toMatch(/: \d+ apps, 3 moved to counters, \d+ already on counters$/);
    expect((await countersOfTable()).length).toBe(before + 3);
    const snapshot = await countersOfTable();
    const second = await run(process.execPath, ['scripts/migrate.ts'], { env });
    expect(second.stdout.trim()).toMatch(/, 0 moved to counters, \d+ already on counters$/);
    expect(await countersOfTable()).toEqual(snapshot);
    const [one] = apps as [(typeof apps)[number]];
    expect(await usage(one.appId)).toMatchObject({ used: 2, remaining: 4 });
    expect((await consume(one.key, 4)).body.remaining).toBe(0);
  });

  it('migrating while the app is being consumed admits exactly the limit', async () => {
    const { apps, consume, usage } = await oldLayout(50, [{ name: 'traffic', used: 20, bound: true }]);
    const [app] = apps as [(typeof apps)[number]];
    const [responses] = await Promise.all([
      Promise.all(Array.from({ length: 60 }, () => consume(app.key))),
      migrateTable(api.db),
      migrateTable(api.db),
    ]);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(30);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(30);
    expect(await usage(app.appId)).toMatchObject({ used: 50, remaining: 0 });
  });
});
