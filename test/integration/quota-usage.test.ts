import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, freshProject, type TestApi } from '../support/api-client.ts';
import { type ManualClock, manualClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { tokenFor } from '../support/tokens.ts';

let api: TestApi;
let clock: ManualClock;
beforeAll(async () => {
  clock = manualClock(Date.now());
  api = await createTestApi({ clock });
});

type Instance = Awaited<ReturnType<typeof newInstance>>;

/** An instance with one app per name bound to one quota (1-minute windows, unanchored unless `extra` says). */
const quotaWithApps = async (names: readonly string[], extra: Record<string, unknown> = {}) => {
  const instance = await newInstance(api);
  const apps: Record<string, { id: string; key: string }> = {};
  for (const name of names) {
    const created = (await instance.call('POST', '/apps', { name })).body;
    apps[name] = { id: created.id, key: created.app_key };
  }
  const quotaId = await instance.createQuota('metered', {
    call_limits: 100,
    time_unit: 'MINUTE',
    time_interval: 1,
    ...extra,
  });
  expect(
    (
      await instance.bind(
        quotaId,
        Object.values(apps).map((app) => app.id),
      )
    ).status,
  ).toBe(201);
  return { ...instance, apps, quotaId };
};

const consume = async (instance: Instance, appKey: string, units: number, cost = 1) => {
  for (let taken = 0; taken < units; taken += cost) {
    expect((await instance.call('POST', '/quota-consumptions', { app_key: appKey, cost })).status).toBe(200);
  }
};

const byUse = (body: { apps: Array<{ name: string; used: number }> }) => body.apps.map((app) => [app.name, app.used]);

describe("a quota's bound apps by use (who is hot)", () => {
  it('orders the bound apps by their open window’s use, highest first, equal use by name', async () => {
    const w = await quotaWithApps(['quiet', 'busy', 'middling', 'Asleep', 'hottest']);
    await consume(w, w.apps.busy?.key as string, 30, 10);
    await consume(w, w.apps.middling?.key as string, 7);
    await consume(w, w.apps.hottest?.key as string, 90, 45);
    const response = await w.call('GET', `/app-quotas/${w.quotaId}/usage`);
    expect(response.status).toBe(200);
    expect(byUse(response.body)).toEqual([
      ['hottest', 90],
      ['busy', 30],
      ['middling', 7],
      ['Asleep', 0],
      ['quiet', 0],
    ]);
    expect(response.body).toMatchObject({ total: 5, size: 5 });
    const [hottest] = response.body.apps;
    const usage = (await w.call('GET', `/apps/${w.apps.hottest?.id}/quota-usage`)).body;
    // The same numbers as the app's own usage route.
    expect(hottest).toEqual({
      app_id: w.apps.hottest?.id,
      name: 'hottest',
      limit: 100,
      used: 90,
      remaining: 10,
      window_start: usage.window_start,
      reset_at: usage.reset_at,
    });
    // An app that has made no call has no window open yet (an unanchored quota).
    expect(response.body.apps[4]).toMatchObject({ used: 0, remaining: 100, window_start: null, reset_at: null });
  });

  it('pages with offset and limit in that order, total counting every bound app', async () => {
    const w = await quotaWithApps(['app1', 'app2', 'app3', 'app4', 'app5']);
    for (const [index, name] of ['app1', 'app2', 'app3', 'app4', 'app5'].entries()) {
      await consume(w, w.apps[name]?.key as string, index + 1);
    }
    const page = (await w.call('GET', `/app-quotas/${w.quotaId}/usage?offset=1&limit=2`)).body;
    expect(page).toMatchObject({ total: 5, size: 2 });
    expect(byUse(page)).toEqual([
      ['app4', 4],
      ['app3', 3],
    ]);
    const last = (await w.call('GET', `/app-quotas/${w.quotaId}/usage?offset=4&limit=2`)).body;
    expect(byUse(last)).toEqual([['app1', 1]]);
    expect((await w.call('GET', `/app-quotas/${w.quotaId}/usage?offset=9`)).body).toEqual({
      total: 5,
      size: 0,
      apps: [],
    });
    const refused = await w.call('GET', `/app-quotas/${w.quotaId}/usage?limit=ten`);
    expect(refused.status).toBe(400);
    expect(refused.body.error_msg).toContain('parameterName:limit');
  });

  it('shows an app whose window is over as using nothing, with all of the limit left', async () => {
    const w = await quotaWithApps(['early', 'late']);
    await consume(w, w.apps.early?.key as string, 50, 25);
    clock.advance(40_000);
    await consume(w, w.apps.late?.key as string, 5);
    clock.advance(30_000);
    // early's window (opened 70 s ago, 60 s long) is over; late's is still open.
    const body = (await w.call('GET', `/app-quotas/${w.quotaId}/usage`)).body;
    expect(byUse(body)).toEqual([
      ['late', 5],
      ['early', 0],
    ]);
    expect(body.apps[1]).toMatchObject({ used: 0, remaining: 100, window_start: null, reset_at: null });
  });

  it('shows an anchored quota’s current window for an app that has not called in it', async () => {
    const w = await quotaWithApps(['idle'], { reset_time: '2026-01-01 00:00:00' });
    const [idle] = (await w.call('GET', `/app-quotas/${w.quotaId}/usage`)).body.apps;
    const usage = (await w.call('GET', `/apps/${w.apps.idle?.id}/quota-usage`)).body;
    expect(idle).toMatchObject({ used: 0, remaining: 100, window_start: usage.window_start, reset_at: usage.reset_at });
    expect(idle.window_start).not.toBeNull();
  });

  it('sums the use of every sub-counter of a credential', async () => {
    const w = await quotaWithApps(['spread', 'single'], { subcounters: 4 });
    await consume(w, w.apps.spread?.key as string, 13);
    await consume(w, w.apps.single?.key as string, 2);
    const body = (await w.call('GET', `/app-quotas/${w.quotaId}/usage`)).body;
    expect(byUse(body)).toEqual([
      ['spread', 13],
      ['single', 2],
    ]);
    expect(body.apps[0]).toMatchObject({ limit: 100, remaining: 87 });
  });

  it('lists only the apps bound to this quota, none of them after an unbind', async () => {
    const w = await quotaWithApps(['bound', 'leaving']);
    await consume(w, w.apps.leaving?.key as string, 3);
    const unbound = await w.call('DELETE', `/app-quotas/${w.quotaId}/bound-apps/${w.apps.leaving?.id}`);
    expect(unbound.status).toBe(204);
    const other = await w.createQuota('other');
    await w.bind(other, [w.apps.leaving?.id as string]);
    await consume(w, w.apps.leaving?.key as string, 4);
    expect(byUse((await w.call('GET', `/app-quotas/${w.quotaId}/usage`)).body)).toEqual([['bound', 0]]);
    expect(byUse((await w.call('GET', `/app-quotas/${other}/usage`)).body)).toEqual([['leaving', 4]]);
    const empty = await w.createQuota('empty');
    expect((await w.call('GET', `/app-quotas/${empty}/usage`)).body).toEqual({ total: 0, size: 0, apps: [] });
  });

  it('answers 404 APIG.3093 for an unknown quota and for one being deleted, APIG.3030 for an unknown instance', async () => {
    const w = await quotaWithApps(['app']);
    const unknown = 'f'.repeat(32);
    const missing = await w.call('GET', `/app-quotas/${unknown}/usage`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error_code: 'APIG.3093', error_msg: `The App quota ${unknown} does not exist` });
    expect((await w.call('DELETE', `/app-quotas/${w.quotaId}`)).status).toBe(204);
    expect((await w.call('GET', `/app-quotas/${w.quotaId}/usage`)).body.error_code).toBe('APIG.3093');
    const noInstance = await api.call(
      'GET',
      `/v2/${w.project}/apigw/instances/${unknown}/app-quotas/${unknown}/usage`,
      {
        token: w.token,
      },
    );
    expect(noInstance.status).toBe(404);
    expect(noInstance.body.error_code).toBe('APIG.3030');
  });

  it('needs apig:clientQuota:get, and shows nothing of another project', async () => {
    const w = await quotaWithApps(['app']);
    const url = `${w.base}/app-quotas/${w.quotaId}/usage`;
    const listOnly = await api.call('GET', url, {
      token: await tokenFor(w.project, ['apig:clientQuota:list', 'apig:clientQuota:listBoundApps']),
    });
    expect(listOnly.status).toBe(403);
    expect(listOnly.body.error_code).toBe('APIG.1005');
    expect((await api.call('GET', url, { token: await tokenFor(w.project, ['apig:clientQuota:get']) })).status).toBe(
      200,
    );
    const intruder = freshProject();
    const foreign = await api.call('GET', url, { token: await tokenFor(intruder) });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error_code).toBe('APIG.1005');
    // The owner's ids under the intruder's own project: that instance does not exist there.
    const ownPath = url.replace(`/v2/${w.project}/`, `/v2/${intruder}/`);
    const hidden = await api.call('GET', ownPath, { token: await tokenFor(intruder) });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error_code).toBe('APIG.3030');
  });
});
