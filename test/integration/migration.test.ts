import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrateTable } from '#store/migration/table-migration.ts';
import { appKey, counterKey } from '#store/table/keys.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { manualClock } from '../support/clocks.ts';
import { legacyTable, T0 } from '../support/legacy-table.ts';

// `npm run migrate` over the same layout is test/e2e/npm-run-migrate.test.ts.
const clock = manualClock(T0);
let api: TestApi;
let get: ReturnType<typeof legacyTable>['get'];
let oldLayout: ReturnType<typeof legacyTable>['oldLayout'];
beforeAll(async () => {
  api = await createTestApi({ clock });
  ({ get, oldLayout } = legacyTable(api));
});
beforeEach(() => clock.set(T0));

describe('a table written by the layout before counters', () => {
  it('is served correctly: the first consume moves the app, keeping the units its window used', async () => {
    const { consume, usage, apps, project, instanceId, quotaId } = await oldLayout(5, [
      { name: 'busy', used: 3, bound: true },
      { name: 'idle', bound: true },
      { name: 'free', bound: false },
    ]);
    const [busy, idle, free] = apps as [(typeof apps)[number], (typeof apps)[number], (typeof apps)[number]];
    expect(await get(counterKey(project, instanceId, busy.key))).toBeUndefined();
    expect((await consume(busy.key)).body).toMatchObject({ app_id: busy.appId, app_quota_id: quotaId, remaining: 1 });
    expect(await get(counterKey(project, instanceId, busy.key))).toMatchObject({
      remaining: 1,
      window_end_ms: T0 + 30_000,
    });
    const moved = await get(appKey(project, instanceId, busy.appId));
    expect(moved).toMatchObject({ subcounters: 1, quota_id: quotaId });
    for (const gone of ['limit_units', 'window_ms', 'config_version', 'window_end_ms', 'remaining', 'last_consume']) {
      expect(moved).not.toHaveProperty(gone);
    }
    expect((await consume(busy.key)).status).toBe(200);
    expect((await consume(busy.key)).status).toBe(429);
    expect((await consume(idle.key)).body).toMatchObject({ app_quota_id: quotaId, remaining: 4 });
    expect((await consume(free.key)).body).toMatchObject({ app_id: free.appId, app_quota_id: null });
    expect(await usage(busy.appId)).toMatchObject({ used: 5, remaining: 0 });
  });

  it('is served correctly by the control plane too: each operation moves the apps it touches first', async () => {
    const { call, bind, usage, apps, quotaId, consume } = await oldLayout(10, [
      { name: 'kept', used: 4, bound: true },
      { name: 'dropped', bound: true },
      { name: 'joiner', bound: false },
    ]);
    const [kept, dropped, joiner] = apps as [(typeof apps)[number], (typeof apps)[number], (typeof apps)[number]];
    expect(await usage(kept.appId)).toMatchObject({ used: 4, remaining: 6 });
    expect((await call('DELETE', `/app-quotas/${quotaId}/bound-apps/${dropped.appId}`)).status).toBe(204);
    expect((await bind(quotaId, [joiner.appId, kept.appId])).status).toBe(201);
    const body = { name: 'legacy_quota', call_limits: 8, time_unit: 'MINUTE', time_interval: 1 };
    expect((await call('PUT', `/app-quotas/${quotaId}`, body)).status).toBe(200);
    expect(await usage(kept.appId)).toMatchObject({ limit: 8, used: 4, remaining: 4 });
    expect((await consume(dropped.key)).body.app_quota_id).toBeNull();
    expect((await consume(joiner.key)).body).toMatchObject({ app_quota_id: quotaId, remaining: 7 });
    const bound = (await call('GET', `/app-quotas/${quotaId}/bound-apps`)).body;
    expect(bound.apps.map((app: { app_id: string }) => app.app_id).sort()).toEqual([joiner.appId, kept.appId].sort());
    expect((await call('GET', `/app-quotas/${quotaId}`)).body.bound_app_num).toBe(2);
    expect((await call('DELETE', `/app-quotas/${quotaId}`)).status).toBe(204);
    expect((await consume(kept.key)).body.app_quota_id).toBeNull();
  });

  it('migrating while the app is being consumed admits exactly the limit', async () => {
    const { apps, consume, usage } = await oldLayout(50, [{ name: 'traffic', used: 20, bound: true }]);
    const [app] = apps as [(typeof apps)[number]];
    const [responses] = await Promise.all([
      Promise.all(Array.from({ length: 60 }, () => consume(app.key))),
      migrateTable(api.db),
      migrateTable(api.db),
    ]);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(30);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(30);
    expect(await usage(app.appId)).toMatchObject({ used: 50, remaining: 0 });
  });
});
