import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scheduledEvent } from '#local/scheduled-event.ts';
import { SPLIT_UPDATE_STALE_MS } from '#store/control-plane/quota-update-store.ts';
import { counterKey, QUOTA_UPDATES_PARTITION, quotaUpdateMarkerKey } from '#store/table/keys.ts';
import type { QuotaUpdateSweepReport } from '#use-cases/finish-quota-updates.ts';
import type { QuotaSweepsReport } from '#use-cases/sweep-quotas.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { manualClock } from '../support/clocks.ts';
import { newInstance } from '../support/fixtures.ts';
import { failTransactions } from '../support/transaction-faults.ts';

/**
 * A quota update split across transactions (more counters than one holds) that dies after the
 * quota's own write leaves the quota showing its new settings while counters keep the old ones: a
 * client that reads the quota back has no reason to send the PUT again. Each test here cuts the
 * PUT after a transaction, never repeats it, and shows the sweep (the app-quotas function's
 * schedule) bringing consume and usage to the quota as shown; and what the marker that lets the
 * sweep find such an update costs a PUT that is not split (nothing) or that completes.
 */

const clock = manualClock('2026-11-23T07:00:00.000Z');
let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ clock });
});

const STEP = 'cutQuotaUpdate';
afterEach(() => {
  api.db.client.middlewareStack.remove(STEP);
});

/** Makes the `n`th transaction sent from now on fail as a process dying there would: nothing after it runs. */
const crashAtTransaction = (n: number) => failTransactions(api.db.client, STEP, { [n]: 'crash' });

/** Records the actions of every transaction sent from now on. */
const recordTransactions = () => {
  const sent: NonNullable<TransactWriteCommandInput['TransactItems']>[] = [];
  api.db.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'TransactWriteItemsCommand') {
        sent.push((args.input as TransactWriteCommandInput).TransactItems ?? []);
      }
      return next(args);
    },
    { step: 'initialize', name: STEP },
  );
  return sent;
};

const NOTHING: QuotaUpdateSweepReport = { caughtUp: 0, dropped: 0, left: 0, failed: 0, deferred: false };

/** One run of the schedule's event through the app-quotas function: its report on split updates (no delete is left). */
const sweep = async (): Promise<QuotaUpdateSweepReport> => {
  const report = (await api.invoke('app-quotas', scheduledEvent(clock.now()) as never)) as unknown as QuotaSweepsReport;
  expect(report.deletes).toEqual({ finished: 0, stale: 0, failed: 0, deferred: false });
  return report.updates;
};

// 18 apps x 16 sub-counters = 288 counters: the update is split into the quota's own transaction
// and runs of 100, 100 and 88 counters.
const SUBCOUNTERS = 16;
const APPS = 18;
const COUNTERS = APPS * SUBCOUNTERS;
const HOUR = { name: 'split', call_limits: 1600, time_unit: 'HOUR', time_interval: 1 };

const iso = (ms: number) => new Date(ms).toISOString();

/** A quota with 18 apps bound at 16 sub-counters each; app 0 has used 3 units of its window. */
const splitSetup = async (apps = APPS) => {
  const instance = await newInstance(api);
  const { call, bind, project, instanceId } = instance;
  const created: Array<{ id: string; app_key: string }> = [];
  for (let n = 0; n < apps; n += 1) created.push((await call('POST', '/apps', { name: `split_app_${n}` })).body);
  const ids = created.map((app) => app.id);
  const quota = (await call('POST', '/app-quotas', { ...HOUR, subcounters: SUBCOUNTERS })).body.app_quota_id;
  // Five apps (85 counters) per bind: each one transaction.
  for (let start = 0; start < apps; start += 5)
    expect((await bind(quota, ids.slice(start, start + 5))).status).toBe(201);
  const consume = (n: number) => call('POST', '/quota-consumptions', { app_key: created[n]?.app_key });
  for (let n = 0; n < 3; n += 1) expect((await consume(0)).status).toBe(200);
  const usage = async (n: number) => (await call('GET', `/apps/${ids[n]}/quota-usage`)).body;
  const put = (body: Record<string, unknown>) => call('PUT', `/app-quotas/${quota}`, { ...HOUR, ...body });
  const marker = async () =>
    (
      await api.db.client.send(
        new GetCommand({
          TableName: api.db.tableName,
          Key: quotaUpdateMarkerKey(project, instanceId, quota),
          ConsistentRead: true,
        }),
      )
    ).Item;
  /** How many of the bound counters are at each settings version. */
  const versions = async () => {
    const keys = created.flatMap((app) =>
      Array.from({ length: SUBCOUNTERS }, (_, index) => counterKey(project, instanceId, app.app_key, index)),
    );
    const counts: Record<number, number> = {};
    for (let start = 0; start < keys.length; start += 100) {
      const output = await api.db.client.send(
        new BatchGetCommand({
          RequestItems: { [api.db.tableName]: { Keys: keys.slice(start, start + 100), ConsistentRead: true } },
        }),
      );
      expect(output.UnprocessedKeys ?? {}).toEqual({});
      for (const item of output.Responses?.[api.db.tableName] ?? []) {
        counts[item.config_version] = (counts[item.config_version] ?? 0) + 1;
      }
    }
    return counts;
  };
  return { ...instance, ids, quota, consume, usage, put, marker, versions };
};

type Setup = Awaited<ReturnType<typeof splitSetup>>;

/** The PUT, dying after `committed` of its transactions; the client never sends it again. */
const cutUpdate = async (setup: Setup, body: Record<string, unknown>, committed: number) => {
  crashAtTransaction(committed + 1);
  // Which 5xx is the error mapping's business; the test is about what the sweep makes of it.
  expect((await setup.put(body)).status).toBeGreaterThanOrEqual(500);
  api.db.client.middlewareStack.remove(STEP);
};

/** Every bound app's usage and consume follow a quota of `limit` per one-minute window, fresh. */
const expectFollowsMinuteQuota = async (setup: Setup, limit: number) => {
  const { usage, consume, quota } = setup;
  for (let n = 0; n < APPS; n += 1) {
    expect(await usage(n)).toMatchObject({ app_quota_id: quota, limit, used: 0, remaining: limit });
    const first = await consume(n);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ app_quota_id: quota, limit, reset_at: iso(clock.now().getTime() + 60_000) });
    expect(await usage(n)).toMatchObject({ limit, used: 1, remaining: limit - 1 });
  }
  // Two credentials, one from each end of the bind order, take exactly the new limit.
  for (const n of [0, APPS - 1]) {
    for (let call = 1; call < limit; call += 1) expect((await consume(n)).status).toBe(200);
    const refused = await consume(n);
    expect(refused.status).toBe(429);
    expect(refused.body.error_code).toBe('APIG.0308');
  }
};

describe('a split quota update cut off, never repeated, is caught up by the sweep', () => {
  it.each([
    { step: 'the quota’s own transaction', committed: 1, caughtUp: 0 },
    { step: 'the first run of counters', committed: 2, caughtUp: 100 },
  ])('after $step', async ({ committed, caughtUp }) => {
    const every = Array.from({ length: APPS }, (_, n) => n);
    const setup = await splitSetup();
    const { call, quota, usage, marker, versions } = setup;
    await cutUpdate(setup, { call_limits: 32, time_unit: 'MINUTE', time_interval: 1 }, committed);
    // As the cut left it: the quota shows the new settings, counters lag, its marker names them.
    expect((await call('GET', `/app-quotas/${quota}`)).body).toMatchObject({ call_limits: 32, time_unit: 'MINUTE' });
    expect(await versions()).toEqual(caughtUp === 0 ? { 1: COUNTERS } : { 1: COUNTERS - caughtUp, 2: caughtUp });
    expect(await marker()).toMatchObject({ type: 'quota-update', quota_id: quota, config_version: 2 });
    // Which apps the first run reached depends on the order of a batch read: no app is asked here.
    const oldLimit = caughtUp === 0 ? every : [];
    for (const n of oldLimit) expect(await usage(n)).toMatchObject({ limit: 1600, used: n === 0 ? 3 : 0 });

    // A marker younger than the function's timeout may belong to a PUT still running: left alone.
    expect(await sweep()).toEqual({ ...NOTHING, left: 1 });
    expect(Object.keys(await versions())).toContain('1');
    clock.advance(SPLIT_UPDATE_STALE_MS);
    expect(await sweep()).toEqual({ ...NOTHING, caughtUp: 1 });
    expect(await versions()).toEqual({ 2: COUNTERS });
    expect(await marker()).toBeUndefined();
    await expectFollowsMinuteQuota(setup, 32);
    // The next run finds nothing left to do.
    expect(await sweep()).toEqual(NOTHING);
  });

  it('a new limit alone keeps the units used, through the sweep as through the PUT', async () => {
    const setup = await splitSetup();
    await cutUpdate(setup, { call_limits: 800 }, 1);
    expect(await setup.usage(0)).toMatchObject({ limit: 1600, used: 3 });
    clock.advance(SPLIT_UPDATE_STALE_MS);
    expect(await sweep()).toEqual({ ...NOTHING, caughtUp: 1 });
    expect(await setup.usage(0)).toMatchObject({ limit: 800, used: 3, remaining: 797 });
    expect(await setup.usage(1)).toMatchObject({ limit: 800, used: 0, remaining: 800 });
    expect(await setup.marker()).toBeUndefined();
  });

  it('a newer update over one left behind catches up every counter, keeping the fresh window the first began', async () => {
    const setup = await splitSetup();
    // 60 minutes is an hour's length: only the version says that this window must start afresh.
    await cutUpdate(setup, { time_unit: 'MINUTE', time_interval: 60 }, 1);
    expect(await setup.usage(0)).toMatchObject({ used: 3 });
    const done = await setup.put({ time_unit: 'MINUTE', time_interval: 60, call_limits: 48 });
    expect(done.status).toBe(200);
    expect(await setup.versions()).toEqual({ 3: COUNTERS });
    expect(await setup.marker()).toBeUndefined();
    expect(await setup.usage(0)).toMatchObject({ limit: 48, used: 0, remaining: 48 });
    clock.advance(SPLIT_UPDATE_STALE_MS);
    expect(await sweep()).toEqual(NOTHING);
  });

  it('drops the marker of a quota deleted meanwhile', async () => {
    const setup = await splitSetup();
    await cutUpdate(setup, { call_limits: 32 }, 1);
    expect((await setup.call('DELETE', `/app-quotas/${setup.quota}`)).status).toBe(204);
    expect(await setup.marker()).toBeDefined();
    clock.advance(SPLIT_UPDATE_STALE_MS);
    expect(await sweep()).toEqual({ ...NOTHING, dropped: 1 });
    expect(await setup.marker()).toBeUndefined();
  });
});

describe('the marker of a split update', () => {
  it('is written by its first transaction and gone once the PUT completes', async () => {
    const setup = await splitSetup();
    const sent = recordTransactions();
    expect((await setup.put({ call_limits: 32 })).status).toBe(200);
    const inPartition = (items: (typeof sent)[number]) =>
      items.filter((item) => (item.Put?.Item?.pk ?? item.Delete?.Key?.pk) === QUOTA_UPDATES_PARTITION);
    // The quota and its marker, three runs of counters, the marker's removal.
    expect(sent.map((items) => items.length)).toEqual([2, 100, 100, 88, 1]);
    expect(inPartition(sent[0] ?? []).map((item) => item.Put?.Item?.config_version)).toEqual([2]);
    expect(inPartition(sent.at(-1) ?? []).map((item) => Object.keys(item))).toEqual([['Delete']]);
    expect(await setup.marker()).toBeUndefined();
    expect(await setup.versions()).toEqual({ 2: COUNTERS });
    clock.advance(SPLIT_UPDATE_STALE_MS);
    expect(await sweep()).toEqual(NOTHING);
  });

  it('is never written by an update that fits in one transaction, which stays one transaction', async () => {
    // Six apps: 96 counters, the quota and nothing else fit in 100 actions.
    const setup = await splitSetup(6);
    const sent = recordTransactions();
    expect((await setup.put({ call_limits: 32, time_unit: 'MINUTE', time_interval: 1 })).status).toBe(200);
    expect(sent.map((items) => items.length)).toEqual([97]);
    expect(sent[0]?.filter((item) => item.Put !== undefined)).toEqual([]);
    expect(await setup.marker()).toBeUndefined();
    expect(await setup.usage(0)).toMatchObject({ limit: 32, used: 0 });
  });
});
