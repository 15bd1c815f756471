import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { appKey } from '#store/table/keys.ts';
import { createTestApi, freshProject, type TestApi } from '../support/api-client.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { tokenFor } from '../support/tokens.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ limits: { appsPerInstance: 5 } });
});

const instance = async () => {
  const project = freshProject();
  const token = await tokenFor(project);
  const created = await api.call('POST', `/v2/${project}/apigw/instances`, {
    token,
    body: { instance_name: 'gateway' },
  });
  const instanceId: string = created.body.instance_id;
  const apps = `/v2/${project}/apigw/instances/${instanceId}/apps`;
  const create = (body: unknown) => api.call('POST', apps, { token, body });
  return { project, token, instanceId, apps, create };
};

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('create app', () => {
  it('answers 201 with id, name, remark, status 1, generated key and secret, and times', async () => {
    const { create } = await instance();
    const response = await create({ name: 'app-demo', remark: 'the demo' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name: 'app-demo',
      remark: 'the demo',
      status: 1,
      app_key: expect.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
      app_secret: expect.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
      creator: 'USER',
      app_type: 'apig',
      register_time: expect.stringMatching(TIME),
      update_time: expect.stringMatching(TIME),
    });
  });

  it('keeps a given app_key and app_secret, shows the secret only once and stores it only as a hash', async () => {
    const { project, instanceId, apps, token, create } = await instance();
    const secret = 'my-very-own-secret-123';
    const created = await create({ name: 'own-keys', app_key: 'my-key-0001', app_secret: secret });
    expect(created.body).toMatchObject({ app_key: 'my-key-0001', app_secret: secret });
    const shown = await api.call('GET', `${apps}/${created.body.id}`, { token });
    expect(shown.body).not.toHaveProperty('app_secret');
    const listed = await api.call('GET', apps, { token });
    expect(listed.body.apps[0]).not.toHaveProperty('app_secret');
    const { Item } = await api.db.client.send(
      new GetCommand({ TableName: api.db.tableName, Key: appKey(project, instanceId, created.body.id) }),
    );
    expect(Item?.secret_hash).toMatch(/^scrypt\$/);
    const everything = await api.db.client.send(new ScanCommand({ TableName: api.db.tableName }));
    expect(JSON.stringify(everything.Items)).not.toContain(secret);
  });

  it('refuses a name already used in the instance with 400 CQ.4001 naming both, but allows it in another instance', async () => {
    const first = await instance();
    await first.create({ name: 'taken' });
    const again = await first.create({ name: 'taken', app_key: 'another-key-1' });
    expect(again).toMatchObject({
      status: 400,
      body: { error_code: 'CQ.4001', error_msg: `The app name taken already exists in instance ${first.instanceId}` },
    });
    const second = await instance();
    expect((await second.create({ name: 'taken' })).status).toBe(201);
  });

  it('refuses an app_key already used in the instance with 400 CQ.4002', async () => {
    const { create } = await instance();
    await create({ name: 'one', app_key: 'shared-key-1' });
    const response = await create({ name: 'two', app_key: 'shared-key-1' });
    expect(response).toMatchObject({ status: 400, body: { error_code: 'CQ.4002' } });
  });

  it('lets exactly one of many concurrent creates with the same name win, enforced by DynamoDB', async () => {
    const { create, apps, token } = await instance();
    const results = await Promise.all(Array.from({ length: 5 }, () => create({ name: 'racer' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400 && r.body.error_code === 'CQ.4001')).toHaveLength(4);
    expect((await api.call('GET', apps, { token })).body.total).toBe(1);
  });

  it('refuses the app beyond the apps-per-instance limit with 403 APIG.3100, and counts deletes', async () => {
    const { create, apps, token } = await instance();
    const ids: string[] = [];
    for (let n = 0; n < 5; n += 1) ids.push((await create({ name: `app${n}` })).body.id);
    const over = await create({ name: 'one-too-many' });
    expect(over).toMatchObject({
      status: 403,
      body: { error_code: 'APIG.3100', error_msg: 'The number of resources exceeds the maximum allowed limit' },
    });
    expect((await api.call('DELETE', `${apps}/${ids[0]}`, { token })).status).toBe(204);
    expect((await create({ name: 'fits-again' })).status).toBe(201);
  });

  it('answers 404 APIG.3030 for an instance that does not exist', async () => {
    const project = freshProject();
    const response = await api.call('POST', `/v2/${project}/apic/instances/c900c5612dbe451bb43cbcc49cfaf2f3/apps`, {
      token: await tokenFor(project),
      body: { name: 'orphan' },
    });
    expect(response).toMatchObject({
      status: 404,
      body: { error_code: 'APIG.3030', error_msg: 'The instance does not exist;id:c900c5612dbe451bb43cbcc49cfaf2f3' },
    });
  });

  it('refuses bad bodies with 400 naming the field (or body), and stores nothing', async () => {
    const { apps, token, create } = await instance();
    const before = await tableSnapshot(api.db);
    for (const [body, field] of [
      [{}, 'name'],
      [{ name: 'x' }, 'name'],
      [{ name: ['list'] }, 'name'],
      [{ name: 'okay', remark: 'a > b' }, 'remark'],
      [{ name: 'okay', app_key: 'short' }, 'app_key'],
      [{ name: 'okay', app_secret: 'x'.repeat(65) }, 'app_secret'],
      [[{ name: 'okay' }], 'body'],
      ['{"name":', 'body'],
    ] as const) {
      const response = await create(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error_msg, JSON.stringify(body)).toContain(`parameterName:${field}.`);
    }
    const oversized = await api.call('POST', apps, { token, body: { name: 'okay', remark: 'r'.repeat(70_000) } });
    expect(oversized.body.error_msg).toContain('parameterName:body.');
    expect(await tableSnapshot(api.db)).toEqual(before);
  });
});

describe('show, list and delete apps', () => {
  it('shows an app with the same fields as create, without the secret', async () => {
    const { apps, token, create } = await instance();
    const { app_secret: _secret, ...created } = (await create({ name: 'shown' })).body;
    expect(await api.call('GET', `${apps}/${created.id}`, { token })).toMatchObject({ status: 200, body: created });
  });

  it('answers 404 APIG.3004 for an unknown app and 404 APIG.3030 for an unknown instance', async () => {
    const { project, apps, token } = await instance();
    const id = '98df09fb-d459-4cbf-83a7-2b55ca6f3d5d';
    expect((await api.call('GET', `${apps}/${id}`, { token })).body).toEqual({
      error_code: 'APIG.3004',
      error_msg: 'The app 98df09fbd4594cbf83a72b55ca6f3d5d does not exist',
    });
    const missing = await api.call('GET', `/v2/${project}/apigw/instances/${'a'.repeat(32)}/apps/${id}`, { token });
    expect(missing.body.error_code).toBe('APIG.3030');
    const list = await api.call('GET', `/v2/${project}/apigw/instances/${'a'.repeat(32)}/apps`, { token });
    expect(list.body.error_code).toBe('APIG.3030');
  });

  it('lists apps by name with a case-insensitive name filter, total, size, offset and limit', async () => {
    const { apps, token, create } = await instance();
    for (const name of ['zeta', 'Beta.app', 'alpha', 'beta-two']) await create({ name });
    const all = (await api.call('GET', apps, { token })).body;
    expect(all).toMatchObject({ total: 4, size: 4 });
    expect(all.apps.map((a: { name: string }) => a.name)).toEqual(['alpha', 'beta-two', 'Beta.app', 'zeta']);
    const filtered = (await api.call('GET', `${apps}?name=BETA&limit=1&offset=1`, { token })).body;
    expect(filtered).toMatchObject({ total: 2, size: 1 });
    expect(filtered.apps[0].name).toBe('Beta.app');
  });

  it('deletes an app (204), after which it is gone and its name and key are free again', async () => {
    const { apps, token, create } = await instance();
    const created = (await create({ name: 'short-lived', app_key: 'reusable-key' })).body;
    expect((await api.call('DELETE', `${apps}/${created.id}`, { token })).status).toBe(204);
    expect((await api.call('GET', `${apps}/${created.id}`, { token })).status).toBe(404);
    expect((await api.call('DELETE', `${apps}/${created.id}`, { token })).body.error_code).toBe('APIG.3004');
    expect((await create({ name: 'short-lived', app_key: 'reusable-key' })).status).toBe(201);
  });

  it('leaves nothing of a deleted app behind: the table is as it was before the app was created', async () => {
    const { apps, token, create } = await instance();
    const before = await tableSnapshot(api.db);
    const created = (await create({ name: 'leaves-no-trace' })).body;
    expect(await tableSnapshot(api.db)).not.toEqual(before);
    await api.call('DELETE', `${apps}/${created.id}`, { token });
    expect(await tableSnapshot(api.db)).toEqual(before);
  });
});
