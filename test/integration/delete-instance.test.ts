import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { tokenFor } from '../support/tokens.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

/** Every stored item that belongs to the instance: its own item and everything in its partition. */
const itemsOf = async (project: string, instanceId: string): Promise<string[]> =>
  (await tableSnapshot(api.db)).filter(
    (item) =>
      item.includes(`"PROJECT#${project}#INSTANCE#${instanceId}"`) ||
      (item.includes(`"PROJECT#${project}"`) && item.includes(`"INSTANCE#${instanceId}"`)),
  );

describe('delete instance', () => {
  it('deletes an empty instance: 204, then 404 APIG.3030, gone from the list, no item left', async () => {
    const { project, token, base, instanceId } = await newInstance(api);
    expect(await itemsOf(project, instanceId)).toHaveLength(1);
    const deleted = await api.call('DELETE', base, { token });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect(await api.call('GET', base, { token })).toMatchObject({
      status: 404,
      body: { error_code: 'APIG.3030', error_msg: `The instance does not exist;id:${instanceId}` },
    });
    expect((await api.call('GET', `/v2/${project}/apigw/instances`, { token })).body.total).toBe(0);
    expect(await itemsOf(project, instanceId)).toEqual([]);
    // Deleting it again: it does not exist.
    expect((await api.call('DELETE', base, { token })).body.error_code).toBe('APIG.3030');
  });

  it('refuses, 400 CQ.4004, while the instance holds apps or quotas, and changes nothing', async () => {
    const { token, base, instanceId, createApp, createQuota, bind } = await newInstance(api);
    const appId = await createApp('holder');
    const before = await tableSnapshot(api.db);
    expect(await api.call('DELETE', base, { token })).toMatchObject({
      status: 400,
      body: {
        error_code: 'CQ.4004',
        error_msg: `The instance ${instanceId} still holds 1 apps and 0 app quotas; delete them before the instance`,
      },
    });
    expect(await tableSnapshot(api.db)).toEqual(before);
    await bind(await createQuota('held_quota'), [appId]);
    await createApp('second');
    const withQuota = await tableSnapshot(api.db);
    expect((await api.call('DELETE', base, { token })).body.error_msg).toContain('still holds 2 apps and 1 app quotas');
    expect(await tableSnapshot(api.db)).toEqual(withQuota);
    expect((await api.call('GET', base, { token })).status).toBe(200);
  });

  it('after its apps, bindings and quotas are deleted, deletes it with no orphan item left behind', async () => {
    const { project, token, base, instanceId, call, createApp, createQuota, bind } = await newInstance(api, 'apic');
    const apps = [await createApp('one'), await createApp('two'), await createApp('three')];
    const key: string = (await call('GET', `/apps/${apps[0]}`)).body.app_key;
    const quotas = [await createQuota('q_one'), await createQuota('q_two')];
    await bind(quotas[0] ?? '', [apps[0] ?? '', apps[1] ?? '']);
    await bind(quotas[1] ?? '', [apps[2] ?? '']);
    expect((await call('POST', '/quota-consumptions', { app_key: key, cost: 5 })).status).toBe(200);
    // A quota deleted with its bindings, a bound app deleted, then the rest.
    expect((await call('DELETE', `/app-quotas/${quotas[0]}`)).status).toBe(204);
    expect((await call('DELETE', `/apps/${apps[2]}`)).status).toBe(204);
    expect((await api.call('DELETE', base, { token })).body.error_code).toBe('CQ.4004');
    for (const appId of apps.slice(0, 2)) expect((await call('DELETE', `/apps/${appId}`)).status).toBe(204);
    expect((await call('DELETE', `/app-quotas/${quotas[1]}`)).status).toBe(204);
    expect(await itemsOf(project, instanceId)).toHaveLength(1);
    // The same instance under the other product: one instance, one delete.
    expect((await api.call('DELETE', base.replace('/apic/', '/apigw/'), { token })).status).toBe(204);
    expect(await itemsOf(project, instanceId)).toEqual([]);
    expect((await call('POST', '/apps', { name: 'too-late' })).body.error_code).toBe('APIG.3030');
    expect(await itemsOf(project, instanceId)).toEqual([]);
  });

  it('racing app creation: never both, and never an app left in a deleted instance', async () => {
    for (let round = 0; round < 8; round += 1) {
      const { project, token, base, instanceId, call } = await newInstance(api);
      const [created, deleted] = await Promise.all([
        call('POST', '/apps', { name: 'racer' }),
        api.call('DELETE', base, { token }),
      ]);
      const outcome = `${created.status}/${deleted.status}`;
      expect(['201/400', '404/204'], `round ${round}: ${JSON.stringify([created.body, deleted.body])}`).toContain(
        outcome,
      );
      const left = await itemsOf(project, instanceId);
      if (deleted.status === 204) expect(left).toEqual([]);
      else expect(left.length).toBeGreaterThan(1);
    }
  });

  it("answers 404 for another project's instance and 400 for an id that is not one, changing nothing", async () => {
    const owner = await newInstance(api);
    await owner.createApp('kept');
    const { project: other } = await newInstance(api);
    const otherToken = await tokenFor(other);
    const before = await tableSnapshot(api.db);
    const cross = await api.call('DELETE', `/v2/${other}/apigw/instances/${owner.instanceId}`, { token: otherToken });
    expect(cross).toMatchObject({ status: 404, body: { error_code: 'APIG.3030' } });
    const bad = await api.call('DELETE', `/v2/${other}/apigw/instances/not-an-id`, { token: otherToken });
    expect(bad).toMatchObject({
      status: 400,
      body: { error_code: 'APIG.2012', error_msg: expect.stringContaining('parameterName:instance_id') },
    });
    const denied = await api.call('DELETE', owner.base, {
      token: await tokenFor(owner.project, ['apig:instance:get']),
    });
    expect(denied).toMatchObject({ status: 403, body: { error_code: 'APIG.1005' } });
    expect(await tableSnapshot(api.db)).toEqual(before);
  });
});
