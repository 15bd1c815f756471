import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

/** A small deterministic generator, so the overlapping sets are the same on every run. */
const random = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

describe('concurrent binds', () => {
  it('many parallel binds of overlapping app sets to two quotas bind every app at most once and keep both counts exact', async () => {
    const { createApp, createQuota, bind, call, project, instanceId } = await newInstance(api);
    const apps: string[] = [];
    for (let n = 0; n < 24; n += 1) apps.push(await createApp(`app${n}`));
    const quotas = [await createQuota('quota_a'), await createQuota('quota_b')];
    const next = random(42);
    const requests = Array.from({ length: 40 }, (_, n) => {
      const size = 1 + Math.floor(next() * 6);
      const set = Array.from({ length: size }, () => apps[Math.floor(next() * apps.length)] as string);
      return { quotaId: quotas[n % 2] as string, set };
    });

    const responses = await Promise.all(requests.map(({ quotaId, set }) => bind(quotaId, set)));

    const claimed = new Map<string, { quotaId: string; boundTime: string }>();
    for (const [n, response] of responses.entries()) {
      expect([201, 400], JSON.stringify(response.body)).toContain(response.status);
      if (response.status === 400) {
        expect(response.body.error_code).toBe('CQ.4003');
        continue;
      }
      for (const apply of response.body.applies as Array<{
        app_id: string;
        app_quota_id: string;
        bound_time: string;
      }>) {
        expect(apply.app_quota_id).toBe(requests[n]?.quotaId);
        const earlier = claimed.get(apply.app_id);
        // Every answer that names an app names the same quota and the same (first) bound_time.
        if (earlier) expect(earlier).toEqual({ quotaId: apply.app_quota_id, boundTime: apply.bound_time });
        claimed.set(apply.app_id, { quotaId: apply.app_quota_id, boundTime: apply.bound_time });
      }
    }

    let boundInTotal = 0;
    for (const quotaId of quotas) {
      const listed = (await call('GET', `/app-quotas/${quotaId}/bound-apps?limit=500`)).body;
      const stored = await api.deps.store.getQuota(project, instanceId, quotaId);
      expect(stored?.quota.boundAppNum).toBe(listed.total);
      for (const app of listed.apps as Array<{ app_id: string }>)
        expect(claimed.get(app.app_id)?.quotaId).toBe(quotaId);
      boundInTotal += listed.total;
    }
    expect(boundInTotal).toBe(claimed.size);
    expect(claimed.size).toBeGreaterThan(0);
  });

  it('parallel binds, unbinds and app deletes keep every bound_app_num equal to the apps bound to it', async () => {
    const { createApp, createQuota, bind, call, project, instanceId } = await newInstance(api);
    const apps: string[] = [];
    for (let n = 0; n < 16; n += 1) apps.push(await createApp(`mixed${n}`));
    const quotas = [await createQuota('mixed_a'), await createQuota('mixed_b')];
    await bind(quotas[0] as string, apps.slice(0, 8));
    const next = random(7);
    const pick = () => apps[Math.floor(next() * apps.length)] as string;
    const operations = Array.from({ length: 48 }, (_, n) => {
      const quotaId = quotas[n % 2] as string;
      switch (n % 4) {
        case 0:
          return bind(quotaId, [pick(), pick()]);
        case 1:
          return call('DELETE', `/app-quotas/${quotaId}/bound-apps/${pick()}`);
        case 2:
          return bind(quotaId, [pick()]);
        default:
          return n % 8 === 3 ? call('DELETE', `/apps/${pick()}`) : call('GET', `/app-quotas/${quotaId}/bound-apps`);
      }
    });
    const responses = await Promise.all(operations);
    for (const response of responses) expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);

    for (const quotaId of quotas) {
      const listed = (await call('GET', `/app-quotas/${quotaId}/bound-apps?limit=500`)).body;
      const stored = await api.deps.store.getQuota(project, instanceId, quotaId);
      expect(stored?.quota.boundAppNum).toBe(listed.total);
    }
  });
});
