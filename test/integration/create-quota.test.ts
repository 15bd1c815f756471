import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ limits: { quotasPerInstance: 3 } });
});

/** Seed 004's example request, verbatim. */
const SEED_REQUEST = {
  call_limits: 1000,
  name: 'ClientQuota_demo',
  reset_time: '2020-09-20 00:00:00',
  time_interval: 1,
  time_unit: 'DAY',
};

describe('create quota (seed 004)', () => {
  it("answers the seed's example request 201 with the seed's response fields, plus bound_app_num 0", async () => {
    const { call } = await newInstance(api, 'apic');
    const response = await call('POST', '/app-quotas', SEED_REQUEST);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      app_quota_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      call_limits: 1000,
      create_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      name: 'ClientQuota_demo',
      reset_time: '2020-09-20 00:00:00',
      time_interval: 1,
      time_unit: 'DAY',
      remark: '',
      bound_app_num: 0,
    });
  });

  it('gives reset_time back in UTC as YYYY-MM-DD HH:mm:ss, and omits it when none was given', async () => {
    const { call } = await newInstance(api);
    const offset = await call('POST', '/app-quotas', { ...SEED_REQUEST, reset_time: '2020-09-20T08:00:00+08:00' });
    expect(offset.body.reset_time).toBe('2020-09-20 00:00:00');
    const none = await call('POST', '/app-quotas', { ...SEED_REQUEST, name: 'no_reset', reset_time: undefined });
    expect(none.status).toBe(201);
    expect(none.body).not.toHaveProperty('reset_time');
  });

  it('refuses a name already used in the instance with 400 APIG.3325, also when created concurrently', async () => {
    const { call } = await newInstance(api);
    expect((await call('POST', '/app-quotas', SEED_REQUEST)).status).toBe(201);
    expect(await call('POST', '/app-quotas', SEED_REQUEST)).toMatchObject({
      status: 400,
      body: { error_code: 'APIG.3325', error_msg: 'The API quota name already exists' },
    });
    const racing = await Promise.all(
      [1, 2, 3].map(() => call('POST', '/app-quotas', { ...SEED_REQUEST, name: 'raced_name' })),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([201, 400, 400]);
  });

  it('allows the same name in another instance', async () => {
    expect((await (await newInstance(api)).call('POST', '/app-quotas', SEED_REQUEST)).status).toBe(201);
    expect((await (await newInstance(api)).call('POST', '/app-quotas', SEED_REQUEST)).status).toBe(201);
  });

  it('answers 404 APIG.3030 for an instance that does not exist', async () => {
    const { project, token } = await newInstance(api);
    const missing = 'f0fa17893b76433ba7879892951c620e';
    const response = await api.call('POST', `/v2/${project}/apigw/instances/${missing}/app-quotas`, {
      token,
      body: SEED_REQUEST,
    });
    expect(response).toMatchObject({
      status: 404,
      body: { error_code: 'APIG.3030', error_msg: `The instance does not exist;id:${missing}` },
    });
  });

  it('refuses a quota beyond the quotas-per-instance limit with 403 APIG.3100', async () => {
    const { createQuota, call } = await newInstance(api);
    for (const name of ['q_one', 'q_two', 'q_three']) await createQuota(name);
    expect(await call('POST', '/app-quotas', SEED_REQUEST)).toMatchObject({
      status: 403,
      body: { error_code: 'APIG.3100' },
    });
  });

  it('refuses every invalid field with 400 naming it, and stores nothing', async () => {
    const { call } = await newInstance(api);
    const before = await tableSnapshot(api.db);
    for (const [patch, field] of [
      [{ name: 'ab' }, 'name'],
      [{ call_limits: '1000' }, 'call_limits'],
      [{ call_limits: 0 }, 'call_limits'],
      [{ time_interval: 2.5 }, 'time_interval'],
      [{ time_unit: 'WEEK' }, 'time_unit'],
      [{ reset_time: '2020-02-30 00:00:00' }, 'reset_time'],
      [{ remark: '<b>' }, 'remark'],
    ] as const) {
      const response = await call('POST', '/app-quotas', { ...SEED_REQUEST, ...patch });
      expect(response.status, JSON.stringify(patch)).toBe(400);
      expect(response.body.error_msg, JSON.stringify(patch)).toContain(`parameterName:${field}.`);
    }
    expect(await tableSnapshot(api.db)).toEqual(before);
  });
});
