import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SPLIT_BIND_STALE_MS } from '#store/control-plane/binding-store.ts';
import { counterKey } from '#store/table/keys.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { manualClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { inFlight } from '../support/in-flight.ts';
import { failTransactions as failAt } from '../support/transaction-faults.ts';

const T0 = Date.parse('2026-11-23T07:00:00.000Z');
const clock = manualClock(T0);
let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ clock, limits: { appsPerInstance: 150 } });
});

const STEP = 'crashBetweenSteps';
afterEach(() => {
  api.db.client.middlewareStack.remove(STEP);
});

const failTransactions = (plan: Readonly<Record<number, 'crash' | 'cancel'>>) => failAt(api.db.client, STEP, plan);

const hundredApps = async () => {
  const instance = await newInstance(api);
  const apps: Array<{ id: string; app_key: string }> = await inFlight(
    100,
    8,
    async (n) => (await instance.call('POST', '/apps', { name: `split${n}` })).body,
  );
  const quotaId = await instance.createQuota('q_split', { call_limits: 10, time_unit: 'HOUR', time_interval: 1 });
  const state = async () => {
    const quota = (await instance.call('GET', `/app-quotas/${quotaId}`)).body;
    const bound = (await instance.call('GET', `/app-quotas/${quotaId}/bound-apps?limit=500`)).body.total;
    const bindable = (await instance.call('GET', `/app-quotas/${quotaId}/bindable-apps?limit=500`)).body.total;
    return { boundAppNum: quota.bound_app_num, bound, bindable };
  };
  return { ...instance, apps, quotaId, ids: apps.map((app) => app.id), state };
};

/** What the table holds of split binds and bound counters (a test's view; a Scan is fine here). */
const leftovers = async (project: string, instanceId: string) => {
  const page = await api.db.client.send(new ScanCommand({ TableName: api.db.tableName, ConsistentRead: true }));
  const mine = (page.Items ?? []).filter((item) =>
    String(item.pk).startsWith(`PROJECT#${project}#INSTANCE#${instanceId}`),
  );
  return {
    records: mine.filter((item) => item.type === 'bind-operation').length,
    boundCounters: mine.filter((item) => item.type === 'counter' && item.quota_id).length,
  };
};

describe('a bind of 100 apps: 1 + 200 actions, split over three transactions', () => {
  it('a crash after the first leaves a record; once stale, the next reader of the quota undoes it, then the bind succeeds', async () => {
    const { bind, ids, apps, quotaId, state, project, instanceId, call } = await hundredApps();
    failTransactions({ 2: 'crash' });
    expect((await bind(quotaId, ids)).status).toBe(500);
    api.db.client.middlewareStack.remove(STEP);
    // Between the steps: the first run's 49 apps are bound and a record says so.
    expect(await leftovers(project, instanceId)).toEqual({ records: 1, boundCounters: 49 });
    clock.advance(SPLIT_BIND_STALE_MS - 1);
    // Not yet stale: it could be a bind still running, so nobody undoes it.
    expect((await state()).boundAppNum).toBe(49);
    clock.advance(1);
    // Stale: the first reader undoes it before answering; the crashed request changed nothing.
    expect(await state()).toEqual({ boundAppNum: 0, bound: 0, bindable: 100 });
    expect(await leftovers(project, instanceId)).toEqual({ records: 0, boundCounters: 0 });
    const first = apps[0] as { app_key: string };
    expect((await call('POST', '/quota-consumptions', { app_key: first.app_key })).body.app_quota_id).toBeNull();
    // And the same request, sent again, binds all 100.
    expect((await bind(quotaId, ids)).status).toBe(201);
    expect(await state()).toEqual({ boundAppNum: 100, bound: 100, bindable: 0 });
    expect(await leftovers(project, instanceId)).toEqual({ records: 0, boundCounters: 100 });
    const counter = await api.db.client.send(
      new GetCommand({ TableName: api.db.tableName, Key: counterKey(project, instanceId, first.app_key) }),
    );
    expect(counter.Item).toMatchObject({ quota_id: quotaId, limit_units: 10 });
  });

  it("a crash in the middle of an undo is resumed by the next reader, whatever the record's age", async () => {
    const { bind, ids, quotaId, state, project, instanceId } = await hundredApps();
    // Run 1 lands, run 2 is cancelled, the undo marks the record (3) and dies unbinding (4).
    failTransactions({ 2: 'cancel', 4: 'crash' });
    expect((await bind(quotaId, ids)).status).toBe(500);
    api.db.client.middlewareStack.remove(STEP);
    expect(await leftovers(project, instanceId)).toEqual({ records: 1, boundCounters: 49 });
    expect(await state()).toEqual({ boundAppNum: 0, bound: 0, bindable: 100 });
    expect(await leftovers(project, instanceId)).toEqual({ records: 0, boundCounters: 0 });
  });

  it('a run cancelled by a concurrent change is undone by the bind itself, which then reads again and binds all', async () => {
    const { bind, ids, quotaId, state, project, instanceId } = await hundredApps();
    failTransactions({ 3: 'cancel' });
    expect((await bind(quotaId, ids)).status).toBe(201);
    expect(await state()).toEqual({ boundAppNum: 100, bound: 100, bindable: 0 });
    expect(await leftovers(project, instanceId)).toEqual({ records: 0, boundCounters: 100 });
  });
});
