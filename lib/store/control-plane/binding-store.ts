import { randomUUID } from 'node:crypto';
import type { App, AppBinding } from '#domain/models.ts';
import { OVERTAKEN, type Overtaken } from '#domain/overtaken.ts';
import type { ListQuery, Page } from '#domain/page.ts';
import type { Quota } from '#domain/quota.ts';
import { type AppItem, appFromItem } from '#store/items/app-item.ts';
import { bindCounterActions, type CounterSettings, unbindCounterActions } from '#store/items/counter-item.ts';
import type { VersionedQuota } from '#store/items/quota-item.ts';
import { migrateListedApps, readMigratedApps } from '#store/migration/migration-store.ts';
import {
  batchGet,
  chunks,
  type Db,
  MAX_TRANSACTION_ACTIONS,
  queryAll,
  queryFirst,
  queryPage,
  type TransactItem,
  transact,
} from '#store/table/db.ts';
import {
  appKey,
  BINDING_PREFIX,
  bindOperationKey,
  boundAppKey,
  boundToQuotaPrefix,
  instancePartition,
  quotaKey,
  unboundAppKey,
} from '#store/table/keys.ts';

const bindingFromItem = (item: AppItem & { readonly bind_id?: string }): AppBinding => ({
  app: appFromItem(item),
  quotaId: item.quota_id,
  boundTime: item.bound_time ? new Date(item.bound_time) : undefined,
  subcounters: item.subcounters ?? 1,
  bindId: item.bind_id,
});

/** The apps with these ids that exist in the instance, with their bindings (strongly consistent). */
export const getAppBindings = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appIds: readonly string[],
): Promise<Map<string, AppBinding>> => {
  const items = await readMigratedApps(
    db,
    appIds.map((id) => appKey(projectId, instanceId, id)),
  );
  return new Map(items.map((item) => [item.app_id, bindingFromItem(item)]));
};

/**
 * The quota's count of bound apps moved by `delta`, conditioned on the settings' version read; a
 * split bind also enters (`add`) or leaves (`remove`) the quota's set of binds in progress.
 */
const quotaCountAction = (
  db: Db,
  { quota, configVersion }: VersionedQuota,
  delta: number,
  pending?: { readonly add?: string; readonly remove?: string },
): TransactItem => ({
  Update: {
    TableName: db.tableName,
    Key: quotaKey(quota.projectId, quota.instanceId, quota.quotaId),
    UpdateExpression:
      'ADD bound_app_num :delta' +
      (pending?.add ? ', pending_binds :bind' : '') +
      (pending?.remove ? ' DELETE pending_binds :bind' : ''),
    ConditionExpression: 'attribute_exists(pk) AND config_version = :version AND attribute_not_exists(deleting)',
    ExpressionAttributeValues: {
      ':delta': delta,
      ':version': configVersion,
      ...(pending?.add || pending?.remove ? { ':bind': new Set([pending.add ?? pending.remove]) } : {}),
    },
  },
});

/**
 * Binds one app: records the binding on the app item (its listing key included) and binds its
 * counters (the quota's settings copied, fresh windows), conditioned on it being unbound.
 */
const bindActions = (db: Db, settings: CounterSettings, app: App, boundTime: Date, bindId: string): TransactItem[] => {
  const { quota } = settings;
  return [
    {
      Update: {
        TableName: db.tableName,
        Key: appKey(app.projectId, app.instanceId, app.appId),
        UpdateExpression:
          'SET quota_id = :quota, bound_time = :time, lsi2sk = :binding, subcounters = :subcounters, bind_id = :bind',
        ConditionExpression: 'attribute_exists(subcounters) AND attribute_not_exists(quota_id)',
        ExpressionAttributeValues: {
          ':quota': quota.quotaId,
          ':time': boundTime.toISOString(),
          ':binding': boundAppKey(quota.quotaId, boundTime, app.appId),
          ':subcounters': quota.subcounters,
          ':bind': bindId,
        },
      },
    },
    ...bindCounterActions(db, app, settings),
  ];
};

const stillBoundAction = (db: Db, quotaId: string, app: App): TransactItem => ({
  ConditionCheck: {
    TableName: db.tableName,
    Key: appKey(app.projectId, app.instanceId, app.appId),
    ConditionExpression: 'quota_id = :quota',
    ExpressionAttributeValues: { ':quota': quotaId },
  },
});

/**
 * Unbinds one app that is bound to `quotaId` (by bind `bindId`, when given): the binding goes from
 * the app item, which is listed as bindable again, and its counters lose the settings and usage.
 */
export const unbindActions = (db: Db, binding: AppBinding, quotaId: string, bindId?: string): TransactItem[] => {
  const { app } = binding;
  return [
    {
      Update: {
        TableName: db.tableName,
        Key: appKey(app.projectId, app.instanceId, app.appId),
        UpdateExpression: 'SET lsi2sk = :unbound, subcounters = :one REMOVE quota_id, bound_time, bind_id',
        // The name lsi2sk is built from must still be the app's: a rename in between reads again.
        ConditionExpression: bindId
          ? 'quota_id = :quota AND bind_id = :bind AND #name = :name'
          : 'quota_id = :quota AND #name = :name',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: {
          ':name': app.name,
          ':unbound': unboundAppKey(app.name, app.appId),
          ':quota': quotaId,
          ':one': 1,
          ...(bindId ? { ':bind': bindId } : {}),
        },
      },
    },
    ...unbindCounterActions(db, app, binding.subcounters),
  ];
};

/** What a bind attempt came to: done, or overtaken by a concurrent change (read again and retry). */
export type BindOutcome = 'bound' | Overtaken;

/**
 * How long a split bind may run before another operation on its quota takes it for crashed and
 * undoes it: longer than the function's 10 s timeout, so it is never a bind still running.
 */
export const SPLIT_BIND_STALE_MS = 15_000;

/** The record of a split bind while it runs. */
export interface BindOperationItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'bind-operation';
  readonly project_id: string;
  readonly instance_id: string;
  readonly bind_id: string;
  readonly quota_id: string;
  readonly app_ids: readonly string[];
  readonly start_ms: number;
  /** Set when an undo has begun: no further run of the bind can commit. */
  readonly undoing?: boolean;
}

/**
 * Runs of apps that fit in a transaction each: `perApp` actions per app beside the `fixed` actions
 * every run carries (the quota's count; a split bind's record too), sized from what the runs
 * really send, so no run is ever refused for passing DynamoDB's 100 actions.
 */
const appRuns = <T>(apps: readonly T[], perApp: number, fixed: number): T[][] =>
  chunks(apps, Math.max(1, Math.floor((MAX_TRANSACTION_ACTIONS - fixed) / perApp)));

/** What a run of a split bind carries beside its apps: the quota's count and the bind's record. */
const SPLIT_BIND_RUN_FIXED = 2;
/** What a run of unbinds carries beside its apps: the quota's count. */
const UNBIND_RUN_FIXED = 1;

/** The transactions of a bind, in sending order, and the record of a split bind (none for one transaction). */
export interface BindTransactions {
  readonly transactions: readonly TransactItem[][];
  readonly record?: BindOperationItem;
}

/**
 * The transactions that bind `toBind` (apps bound to no quota) to the quota under bind id
 * `bindId`, conditioned on every app being unbound and the quota's settings unchanged since read.
 * Each app takes 1 + `subcounters` actions (its item and its counters). When it all fits one
 * transaction, with the quota's count and a check that each of `alreadyBound` is still bound to
 * it, it is that one transaction.
 *
 * Otherwise it is a split bind: runs of apps, each a transaction with the quota's count. The first
 * also writes a record of the bind (its apps, its start at `nowMs`) and enters it in the quota's
 * `pending_binds`; the others are conditioned on the record being there and not being undone; the
 * last deletes it.
 */
export const bindTransactions = (
  db: Db,
  quota: VersionedQuota,
  toBind: readonly App[],
  alreadyBound: readonly App[],
  boundTime: Date,
  nowMs: number,
  bindId: string,
): BindTransactions => {
  const quotaId = quota.quota.quotaId;
  const perApp = 1 + quota.quota.subcounters;
  const checks = alreadyBound.map((app) => stillBoundAction(db, quotaId, app));
  const binds = toBind.map((app) => bindActions(db, quota, app, boundTime, bindId));
  if (1 + binds.length * perApp + checks.length <= MAX_TRANSACTION_ACTIONS) {
    return { transactions: [[quotaCountAction(db, quota, binds.length), ...binds.flat(), ...checks]] };
  }
  const { projectId, instanceId } = quota.quota;
  const recordKey = bindOperationKey(projectId, instanceId, bindId);
  const record: BindOperationItem = {
    ...recordKey,
    type: 'bind-operation',
    project_id: projectId,
    instance_id: instanceId,
    bind_id: bindId,
    quota_id: quotaId,
    app_ids: toBind.map((app) => app.appId),
    start_ms: nowMs,
  };
  const live = 'attribute_exists(pk) AND attribute_not_exists(undoing)';
  const runs = appRuns(binds, perApp, SPLIT_BIND_RUN_FIXED);
  const transactions = runs.map((run, index) => {
    const first = index === 0;
    const last = index === runs.length - 1;
    const recordAction: TransactItem = first
      ? { Put: { TableName: db.tableName, Item: record, ConditionExpression: 'attribute_not_exists(pk)' } }
      : last
        ? { Delete: { TableName: db.tableName, Key: recordKey, ConditionExpression: live } }
        : { ConditionCheck: { TableName: db.tableName, Key: recordKey, ConditionExpression: live } };
    const pending = first ? { add: bindId } : last ? { remove: bindId } : undefined;
    return [quotaCountAction(db, quota, run.length, pending), recordAction, ...run.flat()];
  });
  return { transactions, record };
};

/**
 * Binds `toBind` to the quota: the transactions of {@link bindTransactions}, one after the other.
 * When a run of a split bind fails, the bind undoes what it did (`undoBind`) and the caller reads
 * again. When the process dies between two runs, the record stays: the next operation on the
 * quota after `SPLIT_BIND_STALE_MS` (`recoverSplitBinds`) undoes it, so the crashed request
 * changes nothing in the end.
 */
export const bindApps = async (
  db: Db,
  quota: VersionedQuota,
  toBind: readonly App[],
  alreadyBound: readonly App[],
  boundTime: Date,
  nowMs: number,
): Promise<BindOutcome> => {
  const { transactions, record } = bindTransactions(db, quota, toBind, alreadyBound, boundTime, nowMs, randomUUID());
  for (const [index, items] of transactions.entries()) {
    if (!(await transact(db, items))) {
      if (record && index > 0) await undoBind(db, record);
      return OVERTAKEN;
    }
  }
  return 'bound';
};

/** How many passes an undo makes before giving up (each pass reads what is still to undo). */
const UNDO_PASSES = 25;

/**
 * Undoes a split bind: marks its record undoing (from then on no run of it can commit), unbinds
 * every app this bind bound that is still so, a run at a time with the quota's count, reading
 * again until none is left, and only then deletes the record and takes it out of the quota's
 * `pending_binds`. Safe to run twice, by two processes at once, and to resume after a crash.
 */
const undoBind = async (db: Db, record: BindOperationItem): Promise<void> => {
  const { project_id: projectId, instance_id: instanceId, quota_id: quotaId, bind_id: bindId } = record;
  const recordKey = bindOperationKey(projectId, instanceId, bindId);
  const marked = await transact(db, [
    {
      Update: {
        TableName: db.tableName,
        Key: recordKey,
        UpdateExpression: 'SET undoing = :yes',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':yes': true },
      },
    },
  ]);
  // No record: the bind completed, or another undo finished it.
  if (!marked) return;
  for (let pass = 1; pass <= UNDO_PASSES; pass += 1) {
    const current = await getAppBindings(db, projectId, instanceId, record.app_ids);
    const ours = [...current.values()].filter((binding) => binding.quotaId === quotaId && binding.bindId === bindId);
    let undone = true;
    for (const run of appRuns(ours, 1 + Math.max(1, ...ours.map((binding) => binding.subcounters)), UNBIND_RUN_FIXED)) {
      const [first] = run;
      if (!first) continue;
      const done = await transact(db, [
        quotaUncountAction(db, first.app, quotaId, run.length),
        ...run.flatMap((binding) => unbindActions(db, binding, quotaId, bindId)),
      ]);
      undone &&= done;
    }
    if (undone) {
      await transact(db, [
        { Delete: { TableName: db.tableName, Key: recordKey } },
        {
          Update: {
            TableName: db.tableName,
            Key: quotaKey(projectId, instanceId, quotaId),
            UpdateExpression: 'DELETE pending_binds :bind',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':bind': new Set([bindId]) },
          },
        },
      ]);
      return;
    }
    await new Promise((done) => setTimeout(done, Math.random() * 10 * pass));
  }
  throw new Error(`undo of split bind ${bindId} did not complete`);
};

/**
 * Undoes the split binds `bindIds` of a quota whose process died between two runs: those whose
 * record is older than `SPLIT_BIND_STALE_MS` at `nowMs`, or whose undo had begun. Called by the
 * operations that find the quota's `pending_binds` not empty; true when none is left (a younger
 * one may still be running: the caller waits for it).
 */
export const recoverSplitBinds = async (
  db: Db,
  quota: Quota,
  bindIds: readonly string[],
  nowMs: number,
): Promise<boolean> => {
  const records = await batchGet<BindOperationItem>(
    db,
    bindIds.map((id) => bindOperationKey(quota.projectId, quota.instanceId, id)),
  );
  const found = new Set(records.map((record) => record.bind_id));
  const gone = bindIds.filter((id) => !found.has(id));
  if (gone.length > 0) {
    // A record deleted without its entry: cannot happen (both go in one transaction), but an entry
    // with nothing behind it must not block the quota forever.
    await transact(db, [
      {
        Update: {
          TableName: db.tableName,
          Key: quotaKey(quota.projectId, quota.instanceId, quota.quotaId),
          UpdateExpression: 'DELETE pending_binds :gone',
          // Never an upsert: a quota deleted meanwhile must not come back as a bare item.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':gone': new Set(gone) },
        },
      },
    ]);
  }
  let left = false;
  for (const record of records) {
    if (record.undoing || nowMs - record.start_ms >= SPLIT_BIND_STALE_MS) await undoBind(db, record);
    else left = true;
  }
  return !left;
};

/** The Query of the binding-state index (`lsi2`) under one prefix of the instance's partition. */
export const bindingStateQuery = (projectId: string, instanceId: string, prefix: string) => ({
  IndexName: 'lsi2',
  KeyConditionExpression: 'pk = :pk AND begins_with(lsi2sk, :prefix)',
  ExpressionAttributeValues: { ':pk': instancePartition(projectId, instanceId), ':prefix': prefix },
});

/** A page of the binding-state index under one prefix. */
const bindingStatePage = async (
  db: Db,
  projectId: string,
  instanceId: string,
  prefix: string,
  query: ListQuery,
): Promise<Page<AppBinding>> => {
  const page = await queryPage<AppItem>(db, bindingStateQuery(projectId, instanceId, prefix), query);
  return { total: page.total, items: page.items.map(bindingFromItem) };
};

/** A page of the apps bound to a quota: newest binding first, then app id. */
export const listBoundApps = (
  db: Db,
  projectId: string,
  instanceId: string,
  quotaId: string,
  query: ListQuery,
): Promise<Page<AppBinding>> => bindingStatePage(db, projectId, instanceId, boundToQuotaPrefix(quotaId), query);

/**
 * Every app bound to a quota (strongly consistent), in the binding index's order; bound apps of
 * the old layout are moved to this one first, so each has its counters. For the quota's usage
 * list, which reads them all: a quota holds at most the instance's apps. The index does not
 * project `subcounters`: the quota's own count is the one that holds.
 */
export const listAllBoundApps = async (
  db: Db,
  projectId: string,
  instanceId: string,
  quotaId: string,
): Promise<AppBinding[]> => {
  for (let pass = 0; pass < 10; pass += 1) {
    const listed = await queryAll<AppItem>(db, bindingStateQuery(projectId, instanceId, boundToQuotaPrefix(quotaId)));
    if (!(await migrateListedApps(db, listed))) return listed.map(bindingFromItem);
  }
  throw new Error(`bound apps of quota ${quotaId} of the old layout could not be migrated`);
};

/** A page of the apps bound to no quota, by name. */
export const listBindableApps = (
  db: Db,
  projectId: string,
  instanceId: string,
  query: ListQuery,
): Promise<Page<AppBinding>> => bindingStatePage(db, projectId, instanceId, BINDING_PREFIX.unbound, query);

const quotaUncountAction = (db: Db, app: App, quotaId: string, count: number): TransactItem => ({
  Update: {
    TableName: db.tableName,
    Key: quotaKey(app.projectId, app.instanceId, quotaId),
    UpdateExpression: 'ADD bound_app_num :delta',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':delta': -count },
  },
});

/**
 * Unbinds one app from a quota, as it was read (bound at `boundTime`), with the quota's count, in
 * one transaction, or overtaken by a concurrent change.
 */
export const unbindApp = async (db: Db, binding: AppBinding, quotaId: string): Promise<'unbound' | Overtaken> =>
  (await transact(db, [
    quotaUncountAction(db, binding.app, quotaId, 1),
    ...unbindActions(db, binding, quotaId, binding.bindId),
  ]))
    ? 'unbound'
    : OVERTAKEN;

/**
 * Unbinds apps from a quota whose delete has begun, a run at a time with its count: what a bind
 * of an app its delete has not reached yet does first. Each run is conditioned on the quota being
 * marked deleting and each app still being bound to it (by the bind read), so a live quota never
 * loses an app this way. Overtaken when a run was: the caller reads again.
 */
export const releaseFromDeletedQuota = async (
  db: Db,
  quotaId: string,
  bindings: readonly AppBinding[],
): Promise<'released' | Overtaken> => {
  for (const run of appRuns(
    bindings,
    1 + Math.max(1, ...bindings.map((binding) => binding.subcounters)),
    UNBIND_RUN_FIXED,
  )) {
    const [first] = run;
    if (!first) continue;
    const { app } = first;
    const done = await transact(db, [
      {
        Update: {
          TableName: db.tableName,
          Key: quotaKey(app.projectId, app.instanceId, quotaId),
          UpdateExpression: 'ADD bound_app_num :delta',
          ConditionExpression: 'deleting = :yes',
          ExpressionAttributeValues: { ':delta': -run.length, ':yes': true },
        },
      },
      ...run.flatMap((binding) => unbindActions(db, binding, quotaId, binding.bindId)),
    ]);
    if (!done) return OVERTAKEN;
  }
  return 'released';
};

/**
 * Unbinds the next run of apps of a quota being deleted, with its count, in one transaction (each
 * app 1 + `subcounters` actions). Reads the run itself; returns how many it unbound (0: none
 * left), or overtaken.
 */
export const unbindNextBatch = async (
  db: Db,
  projectId: string,
  instanceId: string,
  quotaId: string,
  subcounters: number,
): Promise<number | Overtaken> => {
  // Only the run is read: a delete reads each bound app once, not the whole rest per run.
  const size = Math.floor((MAX_TRANSACTION_ACTIONS - UNBIND_RUN_FIXED) / (1 + subcounters));
  const listed = await queryFirst<AppItem>(
    db,
    bindingStateQuery(projectId, instanceId, boundToQuotaPrefix(quotaId)),
    size,
  );
  if (await migrateListedApps(db, listed)) return OVERTAKEN;
  const batch = listed.map(bindingFromItem);
  const [first] = batch;
  if (!first) return 0;
  const done = await transact(db, [
    quotaUncountAction(db, first.app, quotaId, batch.length),
    ...batch.flatMap((binding) => unbindActions(db, { ...binding, subcounters }, quotaId)),
  ]);
  return done ? batch.length : OVERTAKEN;
};
