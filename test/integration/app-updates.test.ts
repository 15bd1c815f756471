import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { secretMatches } from '#domain/secrets.ts';
import { appKey } from '#store/table/keys.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

/** An instance with three apps: alpha-one, alpha-two and beta (bound to a quota). */
const populated = async () => {
  const instance = await newInstance(api);
  const made = async (name: string) => (await instance.call('POST', '/apps', { name, remark: `${name} remark` })).body;
  const [alphaOne, alphaTwo, beta] = [await made('alpha-one'), await made('alpha-two'), await made('beta')];
  const quotaId = await instance.createQuota('filters_quota', { call_limits: 10 });
  await instance.bind(quotaId, [beta.id]);
  return { instance, alphaOne, alphaTwo, beta, quotaId };
};

const names = (body: { apps: Array<{ name: string }> }) => body.apps.map((app) => app.name);

describe('apps as the vendor SDK reads them', () => {
  it('carry creator USER and app_type apig, and in lists bind_num: the quotas they are bound to', async () => {
    const { instance, alphaOne, beta } = await populated();
    expect((await instance.call('GET', `/apps/${alphaOne.id}`)).body).toMatchObject({
      creator: 'USER',
      app_type: 'apig',
    });
    expect((await instance.call('GET', `/apps/${alphaOne.id}`)).body).not.toHaveProperty('bind_num');
    const listed = (await instance.call('GET', '/apps')).body.apps as Array<Record<string, unknown>>;
    expect(listed.map((app) => [app.name, app.bind_num, app.creator, app.app_type])).toEqual([
      ['alpha-one', 0, 'USER', 'apig'],
      ['alpha-two', 0, 'USER', 'apig'],
      ['beta', 1, 'USER', 'apig'],
    ]);
    expect(beta.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('list apps filters by id, app_key, name (substring, or exact with precise_search=name) and status', async () => {
    const { instance, alphaOne, alphaTwo, beta } = await populated();
    const list = async (query: string) => (await instance.call('GET', `/apps?${query}`)).body;
    expect(names(await list('name=alpha'))).toEqual(['alpha-one', 'alpha-two']);
    expect(names(await list('name=ALPHA-ONE'))).toEqual(['alpha-one']);
    expect(names(await list('name=alpha&precise_search=name'))).toEqual([]);
    expect(names(await list('name=alpha-two&precise_search=name'))).toEqual(['alpha-two']);
    expect(names(await list('name=ALPHA-TWO&precise_search=name'))).toEqual([]);
    expect(names(await list(`id=${alphaTwo.id}`))).toEqual(['alpha-two']);
    const dashed = `${beta.id.slice(0, 8)}-${beta.id.slice(8, 12)}-${beta.id.slice(12, 16)}-${beta.id.slice(16, 20)}-${beta.id.slice(20)}`;
    expect(names(await list(`id=${dashed.toUpperCase()}`))).toEqual(['beta']);
    expect(names(await list(`app_key=${alphaOne.app_key}`))).toEqual(['alpha-one']);
    expect(names(await list(`app_key=${alphaOne.app_key}&name=beta`))).toEqual([]);
    expect(names(await list('status=1'))).toEqual(['alpha-one', 'alpha-two', 'beta']);
    expect(await list('status=2')).toEqual({ total: 0, size: 0, apps: [] });
    expect(await list('name=alpha&limit=1&offset=1')).toMatchObject({
      total: 2,
      size: 1,
      apps: [{ name: 'alpha-two' }],
    });
  });

  it('refuses a malformed filter with 400 naming it', async () => {
    const { instance } = await populated();
    for (const [query, name] of [
      ['id=not-an-id', 'id'],
      ['app_key=short', 'app_key'],
      ['status=3', 'status'],
      ['status=one', 'status'],
      ['precise_search=remark', 'precise_search'],
    ]) {
      const response = await instance.call('GET', `/apps?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error_msg, query).toContain(`parameterName:${name}.`);
    }
  });
});

describe('update app', () => {
  it('renames an app and sets its remark; the old name is free, lists follow, the binding stays', async () => {
    const { instance, alphaOne, beta, quotaId } = await populated();
    const updated = await instance.call('PUT', `/apps/${alphaOne.id}`, { name: 'zulu', remark: 'renamed' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: alphaOne.id, name: 'zulu', remark: 'renamed', app_key: alphaOne.app_key });
    expect(updated.body).not.toHaveProperty('app_secret');
    expect(updated.body.update_time >= alphaOne.update_time).toBe(true);
    expect((await instance.call('GET', `/apps/${alphaOne.id}`)).body).toMatchObject({
      name: 'zulu',
      remark: 'renamed',
    });
    expect(names((await instance.call('GET', '/apps')).body)).toEqual(['alpha-two', 'beta', 'zulu']);
    expect(names((await instance.call('GET', `/app-quotas/${quotaId}/bindable-apps`)).body)).toEqual([
      'alpha-two',
      'zulu',
    ]);
    expect((await instance.call('POST', '/apps', { name: 'alpha-one' })).status).toBe(201);

    const bound = await instance.call('PUT', `/apps/${beta.id}`, { name: 'beta-bound' });
    expect(bound.body).toMatchObject({ name: 'beta-bound', remark: '' });
    expect((await instance.call('GET', `/app-quotas/${quotaId}/bound-apps`)).body.apps).toMatchObject([
      { app_id: beta.id, name: 'beta-bound', app_quota_id: quotaId },
    ]);
    expect((await instance.call('GET', `/apps/${beta.id}/bound-quota`)).body).toMatchObject({ app_quota_id: quotaId });
  });

  it('keeps names unique (400 CQ.4001), applies the rules of create, answers 404 for a missing app or instance, and a refusal changes nothing', async () => {
    const { instance, alphaOne } = await populated();
    const before = await tableSnapshot(api.db);
    const taken = await instance.call('PUT', `/apps/${alphaOne.id}`, { name: 'alpha-two' });
    expect(taken.status).toBe(400);
    expect(taken.body).toEqual({
      error_code: 'CQ.4001',
      error_msg: `The app name alpha-two already exists in instance ${instance.instanceId}`,
    });
    for (const [body, field] of [
      [{ name: '1bad' }, 'name'],
      [{ name: 'ab' }, 'name'],
      [{}, 'name'],
      [{ name: 'fine-name', remark: '<script>' }, 'remark'],
    ] as const) {
      const response = await instance.call('PUT', `/apps/${alphaOne.id}`, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error_msg).toContain(`parameterName:${field}.`);
    }
    const missing = await instance.call('PUT', `/apps/${'0'.repeat(32)}`, { name: 'whoever' });
    expect(missing.body).toMatchObject({ error_code: 'APIG.3004' });
    const noInstance = await api.call(
      'PUT',
      `/v2/${instance.project}/apigw/instances/${'0'.repeat(32)}/apps/${alphaOne.id}`,
      { token: instance.token, body: { name: 'whoever' } },
    );
    expect(noInstance.body).toMatchObject({ error_code: 'APIG.3030' });
    expect(await tableSnapshot(api.db)).toEqual(before);
  });

  it('renames under concurrency keep one claim per name: of two apps racing for one name, one wins', async () => {
    const { instance, alphaOne, alphaTwo } = await populated();
    const [a, b] = await Promise.all([
      instance.call('PUT', `/apps/${alphaOne.id}`, { name: 'contested' }),
      instance.call('PUT', `/apps/${alphaTwo.id}`, { name: 'contested' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 400]);
    expect(names((await instance.call('GET', '/apps?name=contested&precise_search=name')).body)).toEqual(['contested']);
  });
});

describe('reset an app secret', () => {
  const storedHash = async (project: string, instanceId: string, appId: string): Promise<string> =>
    (
      await api.db.client.send(
        new GetCommand({ TableName: api.db.tableName, Key: appKey(project, instanceId, appId), ConsistentRead: true }),
      )
    ).Item?.secret_hash as string;

  it('shows the new secret once, generated or given; the old one stops matching', async () => {
    const instance = await newInstance(api);
    const created = (await instance.call('POST', '/apps', { name: 'secretive' })).body;
    const first = created.app_secret as string;
    expect(await secretMatches(first, await storedHash(instance.project, instance.instanceId, created.id))).toBe(true);

    const generated = await instance.call('PUT', `/apps/secret/${created.id}`, {});
    expect(generated.status).toBe(200);
    expect(generated.body).toMatchObject({ id: created.id, name: 'secretive', app_key: created.app_key });
    const second = generated.body.app_secret as string;
    expect(second).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(second).not.toBe(first);
    const hash = await storedHash(instance.project, instance.instanceId, created.id);
    expect(await secretMatches(second, hash)).toBe(true);
    expect(await secretMatches(first, hash)).toBe(false);
    expect((await instance.call('GET', `/apps/${created.id}`)).body).not.toHaveProperty('app_secret');

    const given = await instance.call('PUT', `/apps/secret/${created.id}`, { app_secret: 'chosen-secret-123' });
    expect(given.body.app_secret).toBe('chosen-secret-123');
    expect(
      await secretMatches('chosen-secret-123', await storedHash(instance.project, instance.instanceId, created.id)),
    ).toBe(true);
  });

  it('refuses a malformed secret (400) and a missing app (404), changing nothing', async () => {
    const instance = await newInstance(api);
    const created = (await instance.call('POST', '/apps', { name: 'kept-secret' })).body;
    const before = await tableSnapshot(api.db);
    const bad = await instance.call('PUT', `/apps/secret/${created.id}`, { app_secret: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body.error_msg).toContain('parameterName:app_secret.');
    expect((await instance.call('PUT', `/apps/secret/${'0'.repeat(32)}`, {})).body).toMatchObject({
      error_code: 'APIG.3004',
    });
    expect(await tableSnapshot(api.db)).toEqual(before);
  });
});

describe('renames racing deletes and unbinds', () => {
  /**
   * Runs `during` once, just before the first TransactWriteItems the client sends from now on
   * reaches DynamoDB: the transaction was built from what its operation read before `during`.
   */
  const beforeFirstTransaction = (during: () => Promise<unknown>) => {
    let armed = true;
    const name = `interleave${Math.random()}`;
    api.db.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (armed && context.commandName === 'TransactWriteItemsCommand') {
          armed = false;
          await during();
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    return () => api.db.client.middlewareStack.remove(name);
  };

  it('a delete of a bound app overtaken by its rename frees the new name, leaving no claim behind', async () => {
    const { instance, beta } = await populated();
    const remove = beforeFirstTransaction(() => instance.call('PUT', `/apps/${beta.id}`, { name: 'beta-renamed' }));
    try {
      expect((await instance.call('DELETE', `/apps/${beta.id}`)).status).toBe(204);
    } finally {
      remove();
    }
    expect((await instance.call('GET', `/apps/${beta.id}`)).status).toBe(404);
    // Both names are free again: no claim outlived the app.
    expect((await instance.call('POST', '/apps', { name: 'beta-renamed' })).status).toBe(201);
    expect((await instance.call('POST', '/apps', { name: 'beta' })).status).toBe(201);
  });

  it('an unbind overtaken by a rename lists the app under its new name among the bindable', async () => {
    const { instance, beta, quotaId } = await populated();
    const remove = beforeFirstTransaction(() => instance.call('PUT', `/apps/${beta.id}`, { name: 'aardvark' }));
    try {
      expect((await instance.call('DELETE', `/app-quotas/${quotaId}/bound-apps/${beta.id}`)).status).toBe(204);
    } finally {
      remove();
    }
    const bindable = (await instance.call('GET', `/app-quotas/${quotaId}/bindable-apps?app_name=aardvark`)).body;
    expect(names(bindable)).toEqual(['aardvark']);
    expect(names((await instance.call('GET', `/app-quotas/${quotaId}/bindable-apps`)).body)).toEqual([
      'aardvark',
      'alpha-one',
      'alpha-two',
    ]);
  });
});
