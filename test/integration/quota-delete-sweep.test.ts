import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REFUSAL_RECHECK_MS } from '#domain/refusals.ts';
import { scheduledEvent } from '#local/scheduled-event.ts';
import { instanceKey, quotaDeleteMarkerKey, quotaKey } from '#store/table/keys.ts';
import type { QuotaSweepReport } from '#use-cases/finish-quota-deletes.ts';
import type { QuotaSweepsReport } from '#use-cases/sweep-quotas.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { manualClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { failTransactions } from '../support/transaction-faults.ts';

/**
 * A quota delete whose client stopped looking (the DELETE died after one of its steps, and the
 * quota is 404 to GET and absent from the list, so nobody repeats it) must not leave a ghost that
 * holds its apps, throttles them or fills the instance's limit. Each test crashes the DELETE
 * after one step, never repeats it, and shows who finishes the job: the sweep (the app-quotas
 * function's schedule), a bind of one of its apps, a create refused by the limit, and consumes.
 */

const clock = manualClock('2026-11-23T07:00:00.000Z');
let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ clock, limits: { appsPerInstance: 50, quotasPerInstance: 2 } });
});

const STEP = 'crashInQuotaDelete';
afterEach(() => {
  api.db.client.middlewareStack.remove(STEP);
});

/** Makes the `n`th transaction sent from now on fail as a process dying there would: nothing after it runs. */
const crashAtTransaction = (n: number) => failTransactions(api.db.client, STEP, { [n]: 'crash' });

/**
 * One run of the schedule's event through the app-quotas function, as EventBridge sends it: its
 * report on deletes (these tests make no split update, so its part on updates is empty).
 */
const sweep = async (): Promise<QuotaSweepReport> => {
  const report = (await api.invoke('app-quotas', scheduledEvent(clock.now()) as never)) as unknown as QuotaSweepsReport;
  expect(report.updates).toEqual({ caughtUp: 0, dropped: 0, left: 0, failed: 0, deferred: false });
  return report.deletes;
};

// 16 sub-counters per credential: an app is 17 actions, so a transaction unbinds 5 apps and 12
// bound apps take three runs (5, 5, 2). The DELETE's transactions are then: 1 the mark, 2-4 the
// runs of unbinds, 5 the removal.
const SUBCOUNTERS = 16;
const APPS = 12;
const LIMIT = 16;

const item = async (key: { pk: string; sk: string }) =>
  (await api.db.client.send(new GetCommand({ TableName: api.db.tableName, Key: key, ConsistentRead: true }))).Item;

/**
 * An instance at its limit of two quotas: `doomed`, 12 apps bound (app 0 used its whole window,
 * so the quota throttles it), and `other`, with nothing bound.
 */
const ghostSetup = async () => {
  const instance = await newInstance(api);
  const { call, createQuota, bind, project, instanceId } = instance;
  const apps: Array<{ id: string; app_key: string }> = [];
  for (let n = 0; n < APPS; n += 1) apps.push((await call('POST', '/apps', { name: `ghost_app_${n}` })).body);
  const ids = apps.map((app) => app.id);
  const doomed = await createQuota('doomed', {
    call_limits: LIMIT,
    time_unit: 'HOUR',
    time_interval: 1,
    subcounters: SUBCOUNTERS,
  });
  for (let start = 0; start < APPS; start += 5)
    expect((await bind(doomed, ids.slice(start, start + 5))).status).toBe(201);
  const other = await createQuota('other', { call_limits: 1000, time_unit: 'HOUR', time_interval: 1 });
  const consume = (n: number) => call('POST', '/quota-consumptions', { app_key: apps[n]?.app_key });
  for (let n = 0; n < LIMIT; n += 1) expect((await consume(0)).status).toBe(200);
  expect((await consume(0)).status).toBe(429);
  const ghost = () => item(quotaKey(project, instanceId, doomed));
  const marker = () => item(quotaDeleteMarkerKey(project, instanceId, doomed));
  return { ...instance, ids, doomed, other, consume, ghost, marker };
};

type Setup = Awaited<ReturnType<typeof ghostSetup>>;

/** The DELETE, dying after `step` of its transactions committed; the client never sends it again. */
const crashDelete = async (setup: Setup, committed: number) => {
  crashAtTransaction(committed + 1);
  expect((await setup.call('DELETE', `/app-quotas/${setup.doomed}`)).status).toBe(500);
  api.db.client.middlewareStack.remove(STEP);
};

/** What the client sees of the ghost: gone from GET and the list, its name free. */
const expectGoneForReaders = async ({ call, doomed, other }: Setup) => {
  expect((await call('GET', `/app-quotas/${doomed}`)).body.error_code).toBe('APIG.3093');
  const listed = (await call('GET', '/app-quotas')).body;
  expect(listed.total).toBe(1);
  expect(listed.quotas.map((quota: { app_quota_id: string }) => quota.app_quota_id)).toEqual([other]);
};

/** Nothing of the doomed quota is left, its apps are free, the limit has its place back. */
const expectFinished = async (setup: Setup, ids: readonly string[] = setup.ids) => {
  const { call, bind, consume, other, ghost, marker, project, instanceId } = setup;
  expect(await ghost()).toBeUndefined();
  expect(await marker()).toBeUndefined();
  expect((await item(instanceKey(project, instanceId)))?.quota_num).toBe(1);
  expect((await call('GET', `/app-quotas/${other}/bindable-apps?limit=100`)).body.total).toBe(ids.length);
  // Not throttled any more: unbound, it is admitted with no quota; bound elsewhere, that quota
  // decides. App 0's refusals came from this container's memory: the unbind reaches them within D.
  clock.advance(DEFAULT_REFUSAL_RECHECK_MS);
  const unbound = await consume(0);
  expect(unbound.status).toBe(200);
  expect(unbound.body.app_quota_id).toBeNull();
  expect((await bind(other, ids)).status).toBe(201);
  const rebound = await consume(0);
  expect(rebound.status).toBe(200);
  expect(rebound.body.app_quota_id).toBe(other);
  expect((await call('GET', `/app-quotas/${other}`)).body.bound_app_num).toBe(ids.length);
  // The limit of two counts `other` and the new one only.
  const created = await call('POST', '/app-quotas', {
    name: 'doomed',
    call_limits: 5,
    time_unit: 'HOUR',
    time_interval: 1,
  });
  expect(created.status).toBe(201);
  expect((await call('GET', '/app-quotas')).body.total).toBe(2);
};

describe('a quota delete that died after a step, never repeated, is finished by the sweep', () => {
  it.each([
    { step: 'marking it deleting (step 1)', committed: 1, stillBound: 12 },
    { step: 'the first run of unbinds', committed: 2, stillBound: 7 },
    { step: 'the second run of unbinds', committed: 3, stillBound: 2 },
    { step: 'the last run of unbinds, before its removal', committed: 4, stillBound: 0 },
  ])('after $step', async ({ committed, stillBound }) => {
    const setup = await ghostSetup();
    await crashDelete(setup, committed);
    // The ghost as the crash left it: marked, with its marker, still holding what was not unbound.
    expect(await setup.ghost()).toMatchObject({ deleting: true, bound_app_num: stillBound });
    expect(await setup.marker()).toMatchObject({ quota_id: setup.doomed, type: 'quota-delete' });
    await expectGoneForReaders(setup);

    expect(await sweep()).toEqual({ finished: 1, stale: 0, failed: 0, deferred: false });
    await expectFinished(setup);
    // The next run finds nothing left to do.
    expect(await sweep()).toEqual({ finished: 0, stale: 0, failed: 0, deferred: false });
  });

  it('after the mark of a quota with a split bind in progress: the sweep undoes the bind, then finishes', async () => {
    const setup = await ghostSetup();
    const { call, createApp, ghost } = setup;
    // Six more apps in one bind: 1 + 6 x 17 actions, split in two runs (5 apps, then 1).
    const more: string[] = [];
    for (let n = 0; n < 6; n += 1) more.push(await createApp(`split_app_${n}`));
    crashAtTransaction(2);
    expect((await setup.bind(setup.doomed, more)).status).toBe(500);
    api.db.client.middlewareStack.remove(STEP);
    expect((await ghost())?.pending_binds?.size).toBe(1);
    await crashDelete(setup, 1);
    expect(await ghost()).toMatchObject({ deleting: true, bound_app_num: APPS + 5 });

    expect(await sweep()).toEqual({ finished: 1, stale: 0, failed: 0, deferred: false });
    expect(await ghost()).toBeUndefined();
    expect((await call('GET', `/app-quotas/${setup.other}/bindable-apps?limit=100`)).body.total).toBe(APPS + 6);
    const records = await api.db.client.send(
      new QueryCommand({
        TableName: api.db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :bindop)',
        ExpressionAttributeValues: {
          ':pk': `PROJECT#${setup.project}#INSTANCE#${setup.instanceId}`,
          ':bindop': 'BINDOP#',
        },
        ConsistentRead: true,
      }),
    );
    expect(records.Items).toEqual([]);
    await expectFinished(setup, [...setup.ids, ...more]);
  });

  it('drops a marker whose quota is gone, and never one whose delete is under way', async () => {
    const setup = await ghostSetup();
    await crashDelete(setup, 1);
    const marker = {
      projectId: setup.project,
      instanceId: setup.instanceId,
      quotaId: setup.doomed,
      markTime: clock.now(),
    };
    expect(await api.deps.store.removeStaleQuotaDeleteMarker(marker)).toBe(false);
    expect(await setup.marker()).toBeDefined();
    // A marker left without its quota (not something the service writes) is cleaned up, not fatal.
    const stale = { ...marker, quotaId: '0'.repeat(32) };
    await api.db.client.send(
      new PutCommand({
        TableName: api.db.tableName,
        Item: {
          ...quotaDeleteMarkerKey(stale.projectId, stale.instanceId, stale.quotaId),
          type: 'quota-delete',
          project_id: stale.projectId,
          instance_id: stale.instanceId,
          quota_id: stale.quotaId,
          mark_time: stale.markTime.toISOString(),
        },
      }),
    );
    expect(await sweep()).toEqual({ finished: 1, stale: 1, failed: 0, deferred: false });
    expect(await item(quotaDeleteMarkerKey(stale.projectId, stale.instanceId, stale.quotaId))).toBeUndefined();
    await expectFinished(setup);
  });

  it('a sweep racing a repeated DELETE: both end well and the quota is deleted once', async () => {
    const setup = await ghostSetup();
    await crashDelete(setup, 2);
    const [report, repeated] = await Promise.all([sweep(), setup.call('DELETE', `/app-quotas/${setup.doomed}`)]);
    // Whichever finishes first, the other finds the job done: the DELETE answers 204, or 404 when
    // the sweep removed the quota before the DELETE's first read.
    expect([204, 404]).toContain(repeated.status);
    if (repeated.status === 404) expect(repeated.body.error_code).toBe('APIG.3093');
    expect(report.failed).toBe(0);
    await expectFinished(setup);
  });
});

describe('who meets the ghost before the sweep does finishes what it needs', () => {
  it('a bind of its apps elsewhere releases them from it and binds them, instead of refusing naming it', async () => {
    const setup = await ghostSetup();
    const { bind, other, ids, ghost, doomed } = setup;
    await crashDelete(setup, 1);
    const moved = await bind(other, ids.slice(0, 3));
    expect(moved.status).toBe(201);
    expect(moved.body.applies.map((apply: { app_quota_id: string }) => apply.app_quota_id)).toEqual([
      other,
      other,
      other,
    ]);
    // Only what the bind needed was released; the rest waits for the sweep.
    expect(await ghost()).toMatchObject({ deleting: true, bound_app_num: APPS - 3 });
    expect((await setup.call('GET', `/apps/${ids[0]}/bound-quota`)).body.app_quota_id).toBe(other);
    // The ghost itself takes no bind.
    expect((await bind(doomed, [ids[0] as string])).body.error_code).toBe('APIG.3093');
    expect(await sweep()).toEqual({ finished: 1, stale: 0, failed: 0, deferred: false });
    expect((await setup.call('GET', `/app-quotas/${other}`)).body.bound_app_num).toBe(3);
  });

  it('a create refused by the limit finishes the instance’s deletes under way, then creates', async () => {
    const setup = await ghostSetup();
    await crashDelete(setup, 2);
    const created = await setup.call('POST', '/app-quotas', {
      name: 'newcomer',
      call_limits: 5,
      time_unit: 'HOUR',
      time_interval: 1,
    });
    expect(created.status).toBe(201);
    expect(await setup.ghost()).toBeUndefined();
    expect(await setup.marker()).toBeUndefined();
    expect((await setup.call('GET', `/app-quotas/${setup.other}/bindable-apps?limit=100`)).body.total).toBe(APPS);
    // At the limit with no delete under way, the refusal stands.
    const refused = await setup.call('POST', '/app-quotas', {
      name: 'one_too_many',
      call_limits: 5,
      time_unit: 'HOUR',
      time_interval: 1,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error_code).toBe('APIG.3100');
    expect(await sweep()).toEqual({ finished: 0, stale: 0, failed: 0, deferred: false });
  });

  it('a consume its window refused is let through once the quota is marked deleting', async () => {
    const setup = await ghostSetup();
    await crashDelete(setup, 1);
    // A container that read the quota live a moment ago trusts that for a second at most.
    clock.advance(1_000);
    const freed = await setup.consume(0);
    expect(freed.status).toBe(200);
    expect(freed.body.app_quota_id).toBeNull();
    // Its apps with units left are admitted as before; the sweep then unbinds them all.
    expect((await setup.consume(1)).status).toBe(200);
    expect(await sweep()).toEqual({ finished: 1, stale: 0, failed: 0, deferred: false });
    await expectFinished(setup);
  });
});
