import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { appKey, counterKey } from '#store/table/keys.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { steppingClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { inFlight } from '../support/in-flight.ts';
import { countQueriedItems } from '../support/request-counter.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ limits: { appsPerInstance: 150, quotasPerInstance: 5 }, clock: steppingClock() });
});

const QUOTA = { name: 'quota_one', call_limits: 200, time_unit: 'MINUTE', time_interval: 3 };
const idsOf = (body: { apps: Array<{ app_id: string }> }) => body.apps.map((app) => app.app_id);
const boundCount = async (call: (m: string, p: string) => Promise<{ body: { bound_app_num: number } }>, q: string) =>
  (await call('GET', `/app-quotas/${q}`)).body.bound_app_num;

describe("the vendor's acceptance scenario", () => {
  it('three apps, two MINUTE/200/3 quotas; moving app 1 from quota 0 to quota 1 leaves bound counts 1 and 2', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const apps = [await createApp('app_0'), await createApp('app_1'), await createApp('app_2')] as const;
    const quotas = [await createQuota('quota_0'), await createQuota('quota_1')] as const;
    expect((await bind(quotas[0], [apps[0], apps[1]])).status).toBe(201);
    expect((await bind(quotas[1], [apps[2]])).status).toBe(201);
    expect([await boundCount(call, quotas[0]), await boundCount(call, quotas[1])]).toEqual([2, 1]);
    expect((await call('DELETE', `/app-quotas/${quotas[0]}/bound-apps/${apps[1]}`)).status).toBe(204);
    expect((await bind(quotas[1], [apps[1]])).status).toBe(201);
    expect([await boundCount(call, quotas[0]), await boundCount(call, quotas[1])]).toEqual([1, 2]);
    expect(idsOf((await call('GET', `/app-quotas/${quotas[1]}/bound-apps?limit=100&offset=0`)).body).sort()).toEqual(
      [apps[1], apps[2]].sort(),
    );
  });
});

describe('show quota', () => {
  it('answers AppQuotaInfo, and 404 APIG.3093 or APIG.3030 when missing', async () => {
    const { createQuota, call, project, token } = await newInstance(api);
    const quotaId = await createQuota('shown', { reset_time: '2026-01-01 05:05:00', remark: 'r' });
    expect((await call('GET', `/app-quotas/${quotaId}`)).body).toEqual({
      app_quota_id: quotaId,
      name: 'shown',
      call_limits: 200,
      time_unit: 'MINUTE',
      time_interval: 3,
      remark: 'r',
      reset_time: '2026-01-01 05:05:00',
      create_time: expect.stringMatching(/Z$/),
      bound_app_num: 0,
    });
    expect((await call('GET', `/app-quotas/${'4'.repeat(32)}`)).body.error_code).toBe('APIG.3093');
    const otherInstance = await api.call(
      'GET',
      `/v2/${project}/apigw/instances/${'5'.repeat(32)}/app-quotas/${quotaId}`,
      {
        token,
      },
    );
    expect(otherInstance.body.error_code).toBe('APIG.3030');
  });
});

describe('list quotas', () => {
  it('lists newest first with total, size, offset, limit and a case-insensitive name filter', async () => {
    const { createQuota, call } = await newInstance(api);
    const ids = [];
    for (const name of ['Alpha_q', 'beta_q', 'alpha_two']) ids.push(await createQuota(name));
    const all = (await call('GET', '/app-quotas')).body;
    expect(all).toMatchObject({ total: 3, size: 3 });
    expect(all.quotas.map((q: { app_quota_id: string }) => q.app_quota_id)).toEqual([...ids].reverse());
    const page = (await call('GET', '/app-quotas?offset=1&limit=1')).body;
    expect(page).toMatchObject({ total: 3, size: 1, quotas: [{ app_quota_id: ids[1] }] });
    const filtered = (await call('GET', '/app-quotas?name=ALPHA')).body;
    expect(filtered.quotas.map((q: { name: string }) => q.name)).toEqual(['alpha_two', 'Alpha_q']);
    expect((await call('GET', '/app-quotas?limit=x')).body.error_msg).toContain('parameterName:limit.');
  });

  it('answers 404 APIG.3030 for a missing instance', async () => {
    const { project, token } = await newInstance(api);
    const response = await api.call('GET', `/v2/${project}/apigw/instances/${'6'.repeat(32)}/app-quotas`, { token });
    expect(response.body.error_code).toBe('APIG.3030');
  });
});

describe('update quota', () => {
  it('replaces every field (full PUT) and answers the updated AppQuotaInfo', async () => {
    const { createQuota, call } = await newInstance(api);
    const quotaId = await createQuota('before', { reset_time: '2026-01-01 00:00:00', remark: 'old' });
    const response = await call('PUT', `/app-quotas/${quotaId}`, {
      name: 'after',
      call_limits: 10,
      time_unit: 'SECOND',
      time_interval: 30,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      app_quota_id: quotaId,
      name: 'after',
      call_limits: 10,
      time_unit: 'SECOND',
      time_interval: 30,
      remark: '',
      create_time: expect.any(String),
      bound_app_num: 0,
    });
    expect((await call('GET', `/app-quotas/${quotaId}`)).body).toEqual(response.body);
  });

  it('keeps names unique: 400 APIG.3325 for a taken name, and frees the old name on rename', async () => {
    const { createQuota, call } = await newInstance(api);
    const first = await createQuota('first_name');
    await createQuota('taken_name');
    const before = await tableSnapshot(api.db);
    expect((await call('PUT', `/app-quotas/${first}`, { ...QUOTA, name: 'taken_name' })).body.error_code).toBe(
      'APIG.3325',
    );
    expect(await tableSnapshot(api.db)).toEqual(before);
    expect((await call('PUT', `/app-quotas/${first}`, { ...QUOTA, name: 'renamed' })).status).toBe(200);
    expect((await call('POST', '/app-quotas', { ...QUOTA, name: 'first_name' })).status).toBe(201);
  });

  it("applies create's rules to the body and answers 404 for a missing quota, changing nothing", async () => {
    const { createQuota, call } = await newInstance(api);
    const quotaId = await createQuota('rules');
    const before = await tableSnapshot(api.db);
    for (const [body, field] of [
      [{ ...QUOTA, call_limits: undefined }, 'call_limits'],
      [{ ...QUOTA, time_unit: 'YEAR' }, 'time_unit'],
      [{ ...QUOTA, name: '9lives' }, 'name'],
      [[], 'body'],
    ] as const) {
      expect((await call('PUT', `/app-quotas/${quotaId}`, body)).body.error_msg).toContain(`parameterName:${field}.`);
    }
    expect((await call('PUT', `/app-quotas/${'7'.repeat(32)}`, QUOTA)).body.error_code).toBe('APIG.3093');
    expect(await tableSnapshot(api.db)).toEqual(before);
  });
});

const itemAt = async (key: { pk: string; sk: string }) =>
  (await api.db.client.send(new GetCommand({ TableName: api.db.tableName, Key: key }))).Item ?? {};

/** The key of an app's main counter, found through the app's key. */
const counterOf = async (project: string, instanceId: string, appId: string) =>
  counterKey(project, instanceId, (await itemAt(appKey(project, instanceId, appId))).app_key);

describe("update quota: the bound apps' copy of the settings", () => {
  /** An app's main counter, which carries its copy of the quota's settings and its usage. */
  const appItem = async (project: string, instanceId: string, appId: string) =>
    itemAt(await counterOf(project, instanceId, appId));

  /** Puts an app in the middle of a window with `remaining` units left, as the data plane would. */
  const useUnits = async (project: string, instanceId: string, appId: string, remaining: number) =>
    api.db.client.send(
      new UpdateCommand({
        TableName: api.db.tableName,
        Key: await counterOf(project, instanceId, appId),
        UpdateExpression: 'SET window_end_ms = :end, remaining = :remaining',
        ExpressionAttributeValues: { ':end': Date.now() + 60_000, ':remaining': remaining },
      }),
    );

  it('a new limit keeps the units used: remaining moves by the difference', async () => {
    const { createApp, createQuota, bind, call, project, instanceId } = await newInstance(api);
    const appId = await createApp('user');
    const quotaId = await createQuota('limited');
    await bind(quotaId, [appId]);
    await useUnits(project, instanceId, appId, 150);
    await call('PUT', `/app-quotas/${quotaId}`, { ...QUOTA, name: 'limited', call_limits: 100 });
    expect(await appItem(project, instanceId, appId)).toMatchObject({ limit_units: 100, remaining: 50 });
  });

  it('a new unit, interval or reset time starts a fresh window', async () => {
    const { createApp, createQuota, bind, call, project, instanceId } = await newInstance(api);
    const appId = await createApp('user');
    const quotaId = await createQuota('windowed');
    await bind(quotaId, [appId]);
    for (const change of [{ time_interval: 4 }, { time_unit: 'HOUR' }, { reset_time: '2026-01-01 00:00:00' }]) {
      await useUnits(project, instanceId, appId, 10);
      const current = (await call('GET', `/app-quotas/${quotaId}`)).body;
      await call('PUT', `/app-quotas/${quotaId}`, { ...current, ...change });
      const item = await appItem(project, instanceId, appId);
      expect(item, JSON.stringify(change)).not.toHaveProperty('remaining');
      expect(item, JSON.stringify(change)).not.toHaveProperty('window_end_ms');
    }
    expect(await appItem(project, instanceId, appId)).toMatchObject({
      window_ms: 4 * 3_600_000,
      anchor_ms: Date.parse('2026-01-01T00:00:00Z'),
    });
  });

  it('copies the settings onto more bound apps than one transaction holds', async () => {
    const { createApp, createQuota, bind, call, project, instanceId } = await newInstance(api);
    const ids = await inFlight(120, 10, (n) => createApp(`bulk${n}`));
    const quotaId = await createQuota('bulk');
    await bind(quotaId, ids.slice(0, 100));
    await bind(quotaId, ids.slice(100));
    expect((await call('PUT', `/app-quotas/${quotaId}`, { ...QUOTA, name: 'bulk', call_limits: 7 })).status).toBe(200);
    const items = await Promise.all(ids.map((id) => appItem(project, instanceId, id)));
    expect(items.filter((item) => item.limit_units === 7 && item.config_version === 2)).toHaveLength(120);
  });

  it('catches up an app an interrupted update left behind, at the next update', async () => {
    const { createApp, createQuota, bind, call, project, instanceId } = await newInstance(api);
    const [a, b] = [await createApp('kept'), await createApp('behind')];
    const quotaId = await createQuota('catch_up');
    await bind(quotaId, [a, b]);
    await call('PUT', `/app-quotas/${quotaId}`, { ...QUOTA, name: 'catch_up', call_limits: 50 });
    // What a crash in the middle of a fan-out leaves: one app still on the previous settings.
    await api.db.client.send(
      new UpdateCommand({
        TableName: api.db.tableName,
        Key: await counterOf(project, instanceId, b),
        UpdateExpression: 'SET config_version = :old, limit_units = :oldLimit',
        ExpressionAttributeValues: { ':old': 1, ':oldLimit': 200 },
      }),
    );
    await call('PUT', `/app-quotas/${quotaId}`, { ...QUOTA, name: 'catch_up_renamed', call_limits: 50 });
    expect(await appItem(project, instanceId, b)).toMatchObject({ limit_units: 50, config_version: 2 });
  });
});

describe('delete quota', () => {
  it('answers 204, after which the quota is gone, its name free and its apps bindable at once', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const [a, b] = [await createApp('alpha'), await createApp('bravo')];
    const quotaId = await createQuota('doomed');
    const other = await createQuota('other');
    await bind(quotaId, [a, b]);
    expect(idsOf((await call('GET', `/app-quotas/${other}/bindable-apps`)).body)).toEqual([]);
    expect((await call('DELETE', `/app-quotas/${quotaId}`)).status).toBe(204);
    expect((await call('GET', `/app-quotas/${quotaId}`)).body.error_code).toBe('APIG.3093');
    expect((await call('DELETE', `/app-quotas/${quotaId}`)).body.error_code).toBe('APIG.3093');
    expect(idsOf((await call('GET', `/app-quotas/${other}/bindable-apps`)).body)).toEqual([a, b]);
    expect((await call('GET', `/apps/${a}/bound-quota`)).body.error_code).toBe('APIG.3093');
    expect((await bind(other, [a, b])).status).toBe(201);
    expect((await call('POST', '/app-quotas', { ...QUOTA, name: 'doomed' })).status).toBe(201);
  });

  it('unbinds more apps than one transaction holds', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const ids = await inFlight(130, 10, (n) => createApp(`many${n}`));
    const quotaId = await createQuota('crowded');
    await bind(quotaId, ids.slice(0, 99));
    await bind(quotaId, ids.slice(99));
    const other = await createQuota('spare');
    const read = countQueriedItems(api.db.client);
    try {
      expect((await call('DELETE', `/app-quotas/${quotaId}`)).status).toBe(204);
    } finally {
      read.remove();
    }
    // Each bound app is read once (99 + 31 + the empty last look), not the whole rest per batch.
    expect(read.items).toBe(130);
    expect((await call('GET', `/app-quotas/${other}/bindable-apps?limit=500`)).body.total).toBe(130);
  });

  it('leaves nothing of the quota behind, and counts it off its instance', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const appId = await createApp('alpha');
    const before = await tableSnapshot(api.db);
    const quotaId = await createQuota('transient');
    await bind(quotaId, [appId]);
    await call('DELETE', `/app-quotas/${quotaId}`);
    expect(await tableSnapshot(api.db)).toEqual(before);
  });

  it('resumes a delete that stopped after its first step: the quota is already gone for readers', async () => {
    const { createApp, createQuota, bind, call, project, instanceId } = await newInstance(api);
    const appId = await createApp('alpha');
    const quotaId = await createQuota('half_deleted');
    await bind(quotaId, [appId]);
    const stored = await api.deps.store.getQuota(project, instanceId, quotaId);
    expect(await api.deps.store.markQuotaDeleting(stored?.quota as never, new Date())).toBe('marked');
    expect((await call('GET', `/app-quotas/${quotaId}`)).body.error_code).toBe('APIG.3093');
    expect((await call('GET', '/app-quotas')).body.total).toBe(0);
    expect((await bind(quotaId, [appId])).body.error_code).toBe('APIG.3093');
    expect((await call('DELETE', `/app-quotas/${quotaId}`)).status).toBe(204);
    expect(await api.deps.store.getQuota(project, instanceId, quotaId)).toBeUndefined();
    expect((await call('GET', `/apps/${appId}/bound-quota`)).body.error_code).toBe('APIG.3093');
  });
});

describe('unbind app', () => {
  it('answers 204, lowers the count, removes the usage and makes the app bindable', async () => {
    const { createApp, createQuota, bind, call, project, instanceId } = await newInstance(api);
    const [a, b] = [await createApp('alpha'), await createApp('bravo')];
    const quotaId = await createQuota('q_main');
    await bind(quotaId, [a, b]);
    expect((await call('DELETE', `/app-quotas/${quotaId}/bound-apps/${a}`)).status).toBe(204);
    expect(await boundCount(call, quotaId)).toBe(1);
    expect(idsOf((await call('GET', `/app-quotas/${quotaId}/bindable-apps`)).body)).toEqual([a]);
    const app = await itemAt(appKey(project, instanceId, a));
    for (const gone of ['quota_id', 'bound_time']) expect(app).not.toHaveProperty(gone);
    const counter = await itemAt(await counterOf(project, instanceId, a));
    expect(counter).toMatchObject({ app_id: a, subcounter: 0 });
    for (const gone of ['quota_id', 'limit_units', 'remaining', 'window_end_ms']) {
      expect(counter).not.toHaveProperty(gone);
    }
  });

  it('answers 404 APIG.3004 when the app is not bound to this quota, and APIG.3093 for a missing quota', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const [a, b] = [await createApp('alpha'), await createApp('bravo')];
    const [q1, q2] = [await createQuota('q_one'), await createQuota('q_two')];
    await bind(q1, [a]);
    const before = await tableSnapshot(api.db);
    expect((await call('DELETE', `/app-quotas/${q2}/bound-apps/${a}`)).body).toEqual({
      error_code: 'APIG.3004',
      error_msg: `The app ${a} does not exist`,
    });
    expect((await call('DELETE', `/app-quotas/${q1}/bound-apps/${b}`)).body.error_code).toBe('APIG.3004');
    expect((await call('DELETE', `/app-quotas/${q1}/bound-apps/${'8'.repeat(32)}`)).body.error_code).toBe('APIG.3004');
    expect((await call('DELETE', `/app-quotas/${'9'.repeat(32)}/bound-apps/${a}`)).body.error_code).toBe('APIG.3093');
    expect(await tableSnapshot(api.db)).toEqual(before);
  });
});

describe('list bindable apps', () => {
  it('lists the apps bound to no quota, by name, with paging and a case-insensitive app_name filter', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const ids: Record<string, string> = {};
    for (const name of ['delta', 'Alpha', 'charlie', 'bravo', 'alphabet']) ids[name] = await createApp(name);
    const quotaId = await createQuota('q_main');
    await bind(quotaId, [ids.charlie as string]);
    const all = (await call('GET', `/app-quotas/${quotaId}/bindable-apps`)).body;
    expect(all.apps.map((a: { name: string }) => a.name)).toEqual(['Alpha', 'alphabet', 'bravo', 'delta']);
    expect(all.apps[0]).toEqual({
      app_id: ids.Alpha,
      name: 'Alpha',
      status: 1,
      app_key: expect.any(String),
      remark: '',
      register_time: expect.any(String),
      update_time: expect.any(String),
    });
    expect(
      (await call('GET', `/app-quotas/${quotaId}/bindable-apps?app_name=ALPHA&offset=1&limit=5`)).body,
    ).toMatchObject({
      total: 2,
      size: 1,
      apps: [{ name: 'alphabet' }],
    });
    expect((await call('GET', `/app-quotas/${'1'.repeat(32)}/bindable-apps`)).body.error_code).toBe('APIG.3093');
  });
});

describe("an app's bound quota", () => {
  it('answers the AppQuotaInfo of its quota, 404 APIG.3093 when it has none, and 404 for a missing app', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const appId = await createApp('alpha');
    expect((await call('GET', `/apps/${appId}/bound-quota`)).body.error_code).toBe('APIG.3093');
    const quotaId = await createQuota('q_main');
    await bind(quotaId, [appId]);
    expect((await call('GET', `/apps/${appId}/bound-quota`)).body).toMatchObject({
      app_quota_id: quotaId,
      name: 'q_main',
      bound_app_num: 1,
    });
    expect((await call('GET', `/apps/${'2'.repeat(32)}/bound-quota`)).body.error_code).toBe('APIG.3004');
  });
});
