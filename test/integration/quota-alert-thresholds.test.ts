import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { counterKey, quotaKey } from '#store/table/keys.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { steppingClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';

/** `alert_thresholds`: this service's extension of the quota body (docs/api.md), through the API. */

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ clock: steppingClock() });
});

const BODY = { name: 'watched', call_limits: 200, time_unit: 'MINUTE', time_interval: 3 };

/** The vendor's AppQuotaInfo of a quota created with {@link BODY}: no field of ours. */
const vendorShaped = (quotaId: string) => ({
  app_quota_id: quotaId,
  name: 'watched',
  call_limits: 200,
  time_unit: 'MINUTE',
  time_interval: 3,
  remark: '',
  create_time: expect.stringMatching(/Z$/),
  bound_app_num: 0,
});

const storedItem = async (project: string, instanceId: string, quotaId: string) =>
  (
    await api.db.client.send(
      new GetCommand({ TableName: api.db.tableName, Key: quotaKey(project, instanceId, quotaId) }),
    )
  ).Item;

const INVALID: readonly unknown[] = [
  [],
  [0],
  [101],
  [50, 50],
  [1.5],
  ['80'],
  '80,100',
  80,
  {},
  Array.from({ length: 11 }, (_, index) => index + 1),
];

describe('create and show', () => {
  it('a quota created with alert_thresholds shows them ascending, in every answer that reads the quota', async () => {
    const { call, createApp, bind, project, instanceId } = await newInstance(api);
    const created = await call('POST', '/app-quotas', { ...BODY, alert_thresholds: [90, 50] });
    expect(created.status).toBe(201);
    const quotaId: string = created.body.app_quota_id;
    expect(created.body).toEqual({ ...vendorShaped(quotaId), alert_thresholds: [50, 90] });
    expect((await call('GET', `/app-quotas/${quotaId}`)).body).toEqual(created.body);
    const appId = await createApp('bound');
    expect((await bind(quotaId, [appId])).status).toBe(201);
    expect((await call('GET', `/apps/${appId}/bound-quota`)).body.alert_thresholds).toEqual([50, 90]);
    expect((await storedItem(project, instanceId, quotaId))?.alert_thresholds).toEqual([50, 90]);
  });

  it('without them (absent or null) every answer is exactly the vendor-shaped one, and nothing is stored', async () => {
    const { call, project, instanceId } = await newInstance(api);
    for (const extra of [{}, { alert_thresholds: null }]) {
      const created = await call('POST', '/app-quotas', {
        ...BODY,
        name: `watched${Object.keys(extra).length}`,
        ...extra,
      });
      expect(created.status).toBe(201);
      const quotaId: string = created.body.app_quota_id;
      const shown = (await call('GET', `/app-quotas/${quotaId}`)).body;
      expect(shown).toEqual({ ...vendorShaped(quotaId), name: shown.name });
      expect(created.body).toEqual(shown);
      expect(await storedItem(project, instanceId, quotaId)).not.toHaveProperty('alert_thresholds');
    }
  });

  it('list quotas does not carry them (the listing index projects no more attributes): show does', async () => {
    const { call, createQuota } = await newInstance(api);
    const quotaId = await createQuota('listed', { alert_thresholds: [75] });
    const listed = (await call('GET', '/app-quotas')).body.quotas;
    expect(listed).toEqual([{ ...vendorShaped(quotaId), name: 'listed' }]);
  });

  it('invalid alert_thresholds: 400 APIG.2012 naming the field, and no quota is created', async () => {
    const { call } = await newInstance(api);
    for (const value of INVALID) {
      const refused = await call('POST', '/app-quotas', { ...BODY, alert_thresholds: value });
      expect(refused.status, JSON.stringify(value)).toBe(400);
      expect(refused.body.error_code).toBe('APIG.2012');
      expect(refused.body.error_msg).toContain('parameterName:alert_thresholds.');
    }
    expect((await call('GET', '/app-quotas')).body.total).toBe(0);
  });
});

describe('update (PUT)', () => {
  it('given, they replace; absent, they stay (a vendor client replaces the body without them); null removes them', async () => {
    const { call, createQuota, project, instanceId } = await newInstance(api);
    const quotaId = await createQuota('watched', { alert_thresholds: [50] });
    const put = (body: Record<string, unknown>) => call('PUT', `/app-quotas/${quotaId}`, body);

    const replaced = await put({ ...BODY, alert_thresholds: [95, 60] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ ...vendorShaped(quotaId), alert_thresholds: [60, 95] });

    const renamed = await put({ ...BODY, name: 'renamed', remark: 'vendor client' });
    expect(renamed.body).toEqual({
      ...vendorShaped(quotaId),
      name: 'renamed',
      remark: 'vendor client',
      alert_thresholds: [60, 95],
    });

    const removed = await put({ ...BODY, alert_thresholds: null });
    expect(removed.body).toEqual(vendorShaped(quotaId));
    expect((await call('GET', `/app-quotas/${quotaId}`)).body).toEqual(vendorShaped(quotaId));
    expect(await storedItem(project, instanceId, quotaId)).not.toHaveProperty('alert_thresholds');
  });

  it('invalid alert_thresholds: 400 APIG.2012 naming the field, and nothing changes', async () => {
    const { call, createQuota } = await newInstance(api);
    const quotaId = await createQuota('watched', { alert_thresholds: [50] });
    const before = (await call('GET', `/app-quotas/${quotaId}`)).body;
    for (const value of INVALID) {
      const refused = await call('PUT', `/app-quotas/${quotaId}`, { ...BODY, call_limits: 7, alert_thresholds: value });
      expect(refused.status, JSON.stringify(value)).toBe(400);
      expect(refused.body.error_msg).toContain('parameterName:alert_thresholds.');
    }
    expect((await call('GET', `/app-quotas/${quotaId}`)).body).toEqual(before);
  });

  it("a change of thresholds alone touches no bound app's counter: they are not a setting consume reads", async () => {
    const { call, createApp, createQuota, bind, project, instanceId } = await newInstance(api);
    const quotaId = await createQuota('watched');
    const appId = await createApp('bound');
    expect((await bind(quotaId, [appId])).status).toBe(201);
    const shown = await call('GET', `/apps/${appId}`);
    const counter = async () =>
      (
        await api.db.client.send(
          new GetCommand({ TableName: api.db.tableName, Key: counterKey(project, instanceId, shown.body.app_key) }),
        )
      ).Item;
    const before = await counter();
    expect(before).toMatchObject({ quota_id: quotaId });
    expect((await call('PUT', `/app-quotas/${quotaId}`, { ...BODY, alert_thresholds: [10] })).status).toBe(200);
    expect(await counter()).toEqual(before);
    expect(before).not.toHaveProperty('alert_thresholds');
  });
});
