import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_SUBCOUNTERS } from '#domain/subcounters.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';
import { inFlight } from '../support/in-flight.ts';

/** The largest bind the limits allow: `app_ids` takes at most 100 ids (the instance holds them all). */
const LARGEST_BIND = 100;

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ limits: { appsPerInstance: LARGEST_BIND } });
});

describe('the largest bind at every sub-counter count', () => {
  it(`binds ${LARGEST_BIND} apps in one request for subcounters 1-${MAX_SUBCOUNTERS}, each run within DynamoDB's 100 actions, and deletes the quota after`, async () => {
    const instance = await newInstance(api);
    const apps: Array<{ id: string; app_key: string }> = await inFlight(
      LARGEST_BIND,
      8,
      async (n) => (await instance.call('POST', '/apps', { name: `sized${n}` })).body,
    );
    const appIds = apps.map((app) => app.id);
    for (let subcounters = 1; subcounters <= MAX_SUBCOUNTERS; subcounters += 1) {
      const quotaId = await instance.createQuota(`q_n${subcounters}`, {
        call_limits: 1000,
        time_unit: 'HOUR',
        time_interval: 1,
        subcounters,
      });
      const bound = await instance.bind(quotaId, appIds);
      expect(bound.status, `subcounters ${subcounters}: ${JSON.stringify(bound.body)}`).toBe(201);
      expect(bound.body.applies).toHaveLength(LARGEST_BIND);
      expect((await instance.call('GET', `/app-quotas/${quotaId}`)).body.bound_app_num).toBe(LARGEST_BIND);
      const last = apps.at(-1) as { app_key: string };
      const consumed = await instance.call('POST', '/quota-consumptions', { app_key: last.app_key });
      expect(consumed.status).toBe(200);
      expect(consumed.body.app_quota_id).toBe(quotaId);
      // The delete unbinds them a run at a time: the next quota binds them all again.
      expect((await instance.call('DELETE', `/app-quotas/${quotaId}`)).status).toBe(204);
    }
    const bindable = (await instance.call('GET', `/apps?limit=500`)).body.apps;
    expect(bindable.every((app: { bind_num: number }) => app.bind_num === 0)).toBe(true);
  }, 300_000);
});
