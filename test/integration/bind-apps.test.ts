import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { steppingClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { inFlight } from '../support/in-flight.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ limits: { appsPerInstance: 150 }, clock: steppingClock() });
});

const dashed = (id: string) =>
  `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('bind apps (seeds 000-002)', () => {
  it("answers the seed's request shape (a dashed id) 201 with one AppQuotaAppBinding per app", async () => {
    const { createApp, createQuota, bind } = await newInstance(api, 'apic');
    const appId = await createApp('app-demo');
    const quotaId = await createQuota('ClientQuota_demo');
    const response = await bind(quotaId, [dashed(appId)]);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      applies: [{ app_id: appId, app_quota_id: quotaId, bound_time: expect.stringMatching(TIME) }],
    });
  });

  it('answers one entry per distinct id in request order, collapsing duplicates given dashed, plain or in capitals', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const [a, b] = [await createApp('alpha'), await createApp('bravo')];
    const quotaId = await createQuota('quota_one');
    const response = await bind(quotaId, [b, dashed(a), b.toUpperCase(), a]);
    expect(response.body.applies.map((x: { app_id: string }) => x.app_id)).toEqual([b, a]);
    expect((await call('GET', `/app-quotas/${quotaId}/bound-apps`)).body.total).toBe(2);
  });

  it('keeps the original bound_time of an app bound again to the same quota', async () => {
    const { createApp, createQuota, bind } = await newInstance(api);
    const [a, b] = [await createApp('alpha'), await createApp('bravo')];
    const quotaId = await createQuota('quota_one');
    const first = (await bind(quotaId, [a])).body.applies[0].bound_time;
    const again = (await bind(quotaId, [a, b])).body.applies;
    expect(again[0]).toMatchObject({ app_id: a, bound_time: first });
    expect(again[1].bound_time).not.toBe(first);
    const onlyOld = (await bind(quotaId, [a])).body.applies;
    expect(onlyOld).toEqual([{ app_id: a, app_quota_id: quotaId, bound_time: first }]);
  });

  it('changes nothing and answers 404 APIG.3004 naming the first missing app when any app is missing', async () => {
    const { createApp, createQuota, bind } = await newInstance(api);
    const a = await createApp('alpha');
    const quotaId = await createQuota('quota_one');
    const [ghost1, ghost2] = ['1'.repeat(32), '2'.repeat(32)];
    const before = await tableSnapshot(api.db);
    expect(await bind(quotaId, [a, ghost1, ghost2])).toMatchObject({
      status: 404,
      body: { error_code: 'APIG.3004', error_msg: `The app ${ghost1} does not exist` },
    });
    expect(await tableSnapshot(api.db)).toEqual(before);
  });

  it('changes nothing and answers 400 CQ.4003 naming the app and both quotas when an app is bound to another quota', async () => {
    const { createApp, createQuota, bind } = await newInstance(api);
    const [a, b] = [await createApp('alpha'), await createApp('bravo')];
    const [q1, q2] = [await createQuota('quota_one'), await createQuota('quota_two')];
    await bind(q1, [b]);
    const before = await tableSnapshot(api.db);
    const response = await bind(q2, [a, b]);
    expect(response).toMatchObject({ status: 400, body: { error_code: 'CQ.4003' } });
    expect(response.body.error_msg).toContain(b);
    expect(response.body.error_msg).toContain(q1);
    expect(response.body.error_msg).toContain(q2);
    expect(await tableSnapshot(api.db)).toEqual(before);
  });

  it('answers a missing app (404) before an app bound elsewhere (400), whatever their order', async () => {
    const { createApp, createQuota, bind } = await newInstance(api);
    const bound = await createApp('bound-elsewhere');
    const [q1, q2] = [await createQuota('quota_one'), await createQuota('quota_two')];
    await bind(q1, [bound]);
    const ghost = '4'.repeat(32);
    expect((await bind(q2, [bound, ghost])).body.error_code).toBe('APIG.3004');
    expect((await bind(q2, [ghost, bound])).body.error_code).toBe('APIG.3004');
  });

  it('answers 404 APIG.3093 for a missing quota and APIG.3030 for a missing instance', async () => {
    const { createApp, bind, project, token } = await newInstance(api);
    const a = await createApp('alpha');
    const quotaId = 'c900c5612dbe451bb43cbcc49cfaf2f3';
    expect((await bind(quotaId, [a])).body).toEqual({
      error_code: 'APIG.3093',
      error_msg: `The App quota ${quotaId} does not exist`,
    });
    const noInstance = await api.call(
      'POST',
      `/v2/${project}/apigw/instances/${'9'.repeat(32)}/app-quotas/${quotaId}/binding-apps`,
      {
        token,
        body: { app_ids: [a] },
      },
    );
    expect(noInstance.body.error_code).toBe('APIG.3030');
  });

  it('refuses a malformed body or ids with 400 naming app_ids or the path parameter', async () => {
    const { createQuota, call } = await newInstance(api);
    const quotaId = await createQuota('quota_one');
    for (const body of [{}, { app_ids: [] }, { app_ids: 'x' }, { app_ids: ['not-an-id'] }]) {
      const response = await call('POST', `/app-quotas/${quotaId}/binding-apps`, body);
      expect(response.body.error_msg, JSON.stringify(body)).toContain('parameterName:app_ids.');
    }
    expect((await call('POST', '/app-quotas/nope/binding-apps', { app_ids: [] })).body.error_msg).toContain(
      'parameterName:app_quota_id.',
    );
  });

  it('binds 100 new apps at once, all or nothing, and counts them all', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const ids = await inFlight(100, 10, (n) => createApp(`app${String(n).padStart(3, '0')}`));
    const quotaId = await createQuota('big_quota');
    const response = await bind(quotaId, ids);
    expect(response.status).toBe(201);
    expect(response.body.applies).toHaveLength(100);
    expect((await call('GET', `/app-quotas/${quotaId}/bound-apps?limit=500`)).body).toMatchObject({
      total: 100,
      size: 100,
    });
  });

  it('serves the same data under apigw and apic', async () => {
    const { createApp, createQuota, project, token, instanceId } = await newInstance(api, 'apigw');
    const a = await createApp('alpha');
    const quotaId = await createQuota('quota_one');
    const path = (product: string) => `/v2/${project}/${product}/instances/${instanceId}/app-quotas/${quotaId}`;
    expect((await api.call('POST', `${path('apic')}/binding-apps`, { token, body: { app_ids: [a] } })).status).toBe(
      201,
    );
    const viaApigw = await api.call('GET', `${path('apigw')}/bound-apps`, { token });
    expect(viaApigw.body.apps.map((x: { app_id: string }) => x.app_id)).toEqual([a]);
  });
});

describe('deleting a bound app', () => {
  it('removes its binding and lowers the bound count', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const [a, b] = [await createApp('alpha'), await createApp('bravo')];
    const quotaId = await createQuota('quota_one');
    await bind(quotaId, [a, b]);
    expect((await call('DELETE', `/apps/${a}`)).status).toBe(204);
    const bound = (await call('GET', `/app-quotas/${quotaId}/bound-apps`)).body;
    expect(bound.total).toBe(1);
    expect(bound.apps[0].app_id).toBe(b);
  });
});
