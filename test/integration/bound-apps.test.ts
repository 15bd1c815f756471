import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { steppingClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ clock: steppingClock() });
});

const idsOf = (body: { apps: Array<{ app_id: string }> }) => body.apps.map((app) => app.app_id);

describe('list bound apps (seed 003)', () => {
  it("answers the seed's response shape: total, size and AppQuotaAppInfo items", async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api, 'apic');
    const appId = await createApp('app-demo');
    const quotaId = await createQuota('ClientQuota_demo');
    const boundTime = (await bind(quotaId, [appId])).body.applies[0].bound_time;
    const app = (await call('GET', `/apps/${appId}`)).body;
    const response = await call('GET', `/app-quotas/${quotaId}/bound-apps`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      total: 1,
      size: 1,
      apps: [
        {
          app_id: appId,
          app_key: app.app_key,
          app_quota_id: quotaId,
          app_quota_name: 'ClientQuota_demo',
          bound_time: boundTime,
          name: 'app-demo',
          register_time: app.register_time,
          remark: '',
          status: 1,
          update_time: app.update_time,
        },
      ],
    });
  });

  it('orders by newest binding first, then by app id for apps bound together', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const ids = [];
    for (const name of ['one', 'two', 'three', 'four']) ids.push(await createApp(name));
    const [a, b, c, d] = ids as [string, string, string, string];
    const quotaId = await createQuota('ordered');
    await bind(quotaId, [a]);
    await bind(quotaId, [d, b]);
    await bind(quotaId, [c]);
    const listed = idsOf((await call('GET', `/app-quotas/${quotaId}/bound-apps`)).body);
    expect(listed).toEqual([c, ...[b, d].sort(), a]);
  });

  it('pages with offset and limit, counts every match in total, and filters by app_name case-insensitively', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const ids = [];
    for (const name of ['Alpha-1', 'alpha-2', 'beta-1', 'gamma.alpha', 'delta']) ids.push(await createApp(name));
    const quotaId = await createQuota('paged');
    for (const id of ids) await bind(quotaId, [id]);
    const all = idsOf((await call('GET', `/app-quotas/${quotaId}/bound-apps`)).body);
    expect(all).toEqual([...ids].reverse());
    const page = (await call('GET', `/app-quotas/${quotaId}/bound-apps?offset=1&limit=2`)).body;
    expect(page).toMatchObject({ total: 5, size: 2 });
    expect(idsOf(page)).toEqual(all.slice(1, 3));
    const filtered = (await call('GET', `/app-quotas/${quotaId}/bound-apps?app_name=ALPHA`)).body;
    expect(filtered).toMatchObject({ total: 3, size: 3 });
    expect(idsOf(filtered)).toEqual([ids[3], ids[1], ids[0]]);
    expect((await call('GET', `/app-quotas/${quotaId}/bound-apps?app_name=zzz`)).body).toEqual({
      total: 0,
      size: 0,
      apps: [],
    });
  });

  it('takes offset below 0 as 0, limit 0 or less as 20 and over 500 as 500, and refuses non-integers', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const ids = [];
    for (let n = 0; n < 22; n += 1) ids.push(await createApp(`app${n}`));
    const quotaId = await createQuota('limits');
    await bind(quotaId, ids);
    const url = `/app-quotas/${quotaId}/bound-apps`;
    expect((await call('GET', `${url}?offset=-3&limit=0`)).body).toMatchObject({ total: 22, size: 20 });
    expect((await call('GET', `${url}?limit=-1`)).body.size).toBe(20);
    expect((await call('GET', `${url}?limit=100000`)).body.size).toBe(22);
    expect((await call('GET', `${url}?offset=abc`)).body.error_msg).toContain('parameterName:offset.');
    expect((await call('GET', `${url}?limit=2.0`)).body.error_msg).toContain('parameterName:limit.');
    expect((await call('GET', `${url}?app_name=${'n'.repeat(65)}`)).body.error_msg).toContain(
      'parameterName:app_name.',
    );
  });

  it('reflects every bind and delete that returned before it (read-after-write)', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const quotaId = await createQuota('fresh');
    for (let n = 0; n < 10; n += 1) {
      const id = await createApp(`app${n}`);
      await bind(quotaId, [id]);
      const listed = (await call('GET', `/app-quotas/${quotaId}/bound-apps?limit=1`)).body;
      expect(listed.total).toBe(n + 1);
      expect(idsOf(listed)).toEqual([id]);
    }
  });

  it('answers 404 APIG.3093 for a quota that does not exist', async () => {
    const { call } = await newInstance(api);
    expect((await call('GET', `/app-quotas/${'3'.repeat(32)}/bound-apps`)).body.error_code).toBe('APIG.3093');
  });
});
