import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { App } from '../domain/models.ts';
import type { ListQuery, Page } from '../domain/page.ts';
import { type Quota, windowLengthMs } from '../domain/quota.ts';
import { type AppItem, appFromItem } from './app-store.ts';
import { type Db, MAX_TRANSACTION_ACTIONS, queryFirst, queryPage, type TransactItem, transact } from './db.ts';
import {
  appKey,
  BINDING_PREFIX,
  boundAppKey,
  boundToQuotaPrefix,
  instancePartition,
  quotaKey,
  unboundAppKey,
} from './keys.ts';
import type { VersionedQuota } from './quota-store.ts';

/** An app with its binding, as the binding operations read it. */
export interface AppBinding {
  readonly app: App;
  readonly quotaId: string | undefined;
  readonly boundTime: Date | undefined;
}

const bindingFromItem = (item: AppItem): AppBinding => ({
  app: appFromItem(item),
  quotaId: item.quota_id,
  boundTime: item.bound_time ? new Date(item.bound_time) : undefined,
});

/** The apps with these ids that exist in the instance, with their bindings (strongly consistent). */
export const getAppBindings = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appIds: readonly string[],
): Promise<Map<string, AppBinding>> => {
  const found = new Map<string, AppBinding>();
  let keys: Record<string, unknown>[] = appIds.map((id) => ({ ...appKey(projectId, instanceId, id) }));
  for (let attempt = 0; keys.length > 0; attempt += 1) {
    if (attempt > 0) await new Promise((done) => setTimeout(done, Math.min(1000, 25 * 2 ** attempt)));
    const output = await db.client.send(
      new BatchGetCommand({ RequestItems: { [db.tableName]: { Keys: keys, ConsistentRead: true } } }),
    );
    for (const item of (output.Responses?.[db.tableName] ?? []) as AppItem[]) {
      found.set(item.app_id, bindingFromItem(item));
    }
    keys = output.UnprocessedKeys?.[db.tableName]?.Keys ?? [];
  }
  return found;
};

const quotaCountAction = (db: Db, { quota, configVersion }: VersionedQuota, delta: number): TransactItem => ({
  Update: {
    TableName: db.tableName,
    Key: quotaKey(quota.projectId, quota.instanceId, quota.quotaId),
    UpdateExpression: 'ADD bound_app_num :delta',
    ConditionExpression: 'attribute_exists(pk) AND config_version = :version AND attribute_not_exists(deleting)',
    ExpressionAttributeValues: { ':delta': delta, ':version': configVersion },
  },
});

/**
 * Binds one app: records the binding (its listing key included) and copies the quota's settings
 * onto the app, where the data plane reads them; the usage counters start afresh.
 */
const bindAction = (db: Db, { quota, configVersion }: VersionedQuota, app: App, boundTime: Date): TransactItem => ({
  Update: {
    TableName: db.tableName,
    Key: appKey(app.projectId, app.instanceId, app.appId),
    UpdateExpression:
      'SET quota_id = :quota, bound_time = :time, lsi2sk = :binding, limit_units = :limit, window_ms = :window, ' +
      'config_version = :version' +
      (quota.resetTime ? ', anchor_ms = :anchor' : '') +
      ' REMOVE window_end_ms, remaining' +
      (quota.resetTime ? '' : ', anchor_ms'),
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(quota_id)',
    ExpressionAttributeValues: {
      ':quota': quota.quotaId,
      ':time': boundTime.toISOString(),
      ':binding': boundAppKey(quota.quotaId, boundTime, app.appId),
      ':limit': quota.callLimits,
      ':window': windowLengthMs(quota),
      ':version': configVersion,
      ...(quota.resetTime ? { ':anchor': quota.resetTime.getTime() } : {}),
    },
  },
});

const stillBoundAction = (db: Db, quotaId: string, app: App): TransactItem => ({
  ConditionCheck: {
    TableName: db.tableName,
    Key: appKey(app.projectId, app.instanceId, app.appId),
    ConditionExpression: 'quota_id = :quota',
    ExpressionAttributeValues: { ':quota': quotaId },
  },
});

/**
 * Unbinds one app that is bound to `quotaId` (at `boundTime`, when given): the binding, the copied
 * settings and the usage go; the app is listed as bindable again.
 */
export const unbindAction = (db: Db, app: App, quotaId: string, boundTime?: Date): TransactItem => ({
  Update: {
    TableName: db.tableName,
    Key: appKey(app.projectId, app.instanceId, app.appId),
    UpdateExpression:
      'SET lsi2sk = :unbound REMOVE quota_id, bound_time, limit_units, window_ms, anchor_ms, config_version, window_end_ms, remaining',
    ConditionExpression: boundTime ? 'quota_id = :quota AND bound_time = :time' : 'quota_id = :quota',
    ExpressionAttributeValues: {
      ':unbound': unboundAppKey(app.name, app.appId),
      ':quota': quotaId,
      ...(boundTime ? { ':time': boundTime.toISOString() } : {}),
    },
  },
});

/** What a bind attempt came to: done, or overtaken by a concurrent change (read again and retry). */
export type BindOutcome = 'bound' | 'conflict';

/**
 * Binds `toBind` (apps bound to no quota) to the quota in one transaction with the quota's bound
 * count, conditioned on every app being unbound and the quota's settings unchanged since read;
 * `alreadyBound` apps are checked to still be bound to it, when the transaction has room for the
 * check. Only 100 new apps need 101 actions, one over DynamoDB's limit: then 99 are bound in
 * one transaction and the last in a second, and if the second fails the first is undone (app by
 * app until nothing of it is left) before the caller reads again.
 */
export const bindApps = async (
  db: Db,
  quota: VersionedQuota,
  toBind: readonly App[],
  alreadyBound: readonly App[],
  boundTime: Date,
): Promise<BindOutcome> => {
  const quotaId = quota.quota.quotaId;
  const binds = toBind.map((app) => bindAction(db, quota, app, boundTime));
  const checks = alreadyBound.map((app) => stillBoundAction(db, quotaId, app));
  if (1 + binds.length + checks.length <= MAX_TRANSACTION_ACTIONS) {
    return (await transact(db, [quotaCountAction(db, quota, binds.length), ...binds, ...checks]))
      ? 'bound'
      : 'conflict';
  }
  if (1 + binds.length <= MAX_TRANSACTION_ACTIONS) {
    return (await transact(db, [quotaCountAction(db, quota, binds.length), ...binds])) ? 'bound' : 'conflict';
  }
  const first = binds.slice(0, MAX_TRANSACTION_ACTIONS - 1);
  const rest = binds.slice(MAX_TRANSACTION_ACTIONS - 1);
  if (!(await transact(db, [quotaCountAction(db, quota, first.length), ...first]))) return 'conflict';
  if (await transact(db, [quotaCountAction(db, quota, rest.length), ...rest])) return 'bound';
  await undoBind(db, quota.quota, toBind.slice(0, first.length), boundTime);
  return 'conflict';
};

/** How many passes an undo makes before giving up (each pass reads what is still to undo). */
const UNDO_PASSES = 25;

/**
 * Undoes the first transaction of a split bind: unbinds every app that still carries this quota
 * and this bind's `boundTime`, with the quota's count, reading again and retrying until none is
 * left (an app unbound or deleted meanwhile has nothing left to undo).
 */
const undoBind = async (db: Db, quota: Quota, apps: readonly App[], boundTime: Date): Promise<void> => {
  for (let pass = 1; pass <= UNDO_PASSES; pass += 1) {
    const current = await getAppBindings(
      db,
      quota.projectId,
      quota.instanceId,
      apps.map((app) => app.appId),
    );
    const ours = apps.filter((app) => {
      const binding = current.get(app.appId);
      return binding?.quotaId === quota.quotaId && binding.boundTime?.getTime() === boundTime.getTime();
    });
    const [first] = ours;
    if (!first) return;
    const undone = await transact(db, [
      quotaUncountAction(db, first, quota.quotaId, ours.length),
      ...ours.map((app) => unbindAction(db, app, quota.quotaId, boundTime)),
    ]);
    if (undone) return;
    await new Promise((done) => setTimeout(done, Math.random() * 10 * pass));
  }
  throw new Error(`undo of a split bind to quota ${quota.quotaId} did not complete`);
};

/** The Query of the binding-state index (`lsi2`) under one prefix of the instance's partition. */
const bindingStateQuery = (projectId: string, instanceId: string, prefix: string) => ({
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
 * one transaction. False when a concurrent change overtook it.
 */
export const unbindApp = (db: Db, binding: AppBinding, quotaId: string): Promise<boolean> =>
  transact(db, [
    quotaUncountAction(db, binding.app, quotaId, 1),
    unbindAction(db, binding.app, quotaId, binding.boundTime),
  ]);

/**
 * Unbinds up to 99 apps of a quota being deleted, with its count, in one transaction. Reads the
 * next batch itself; returns how many it unbound (0: none left), or -1 when overtaken.
 */
export const unbindNextBatch = async (
  db: Db,
  projectId: string,
  instanceId: string,
  quotaId: string,
): Promise<number> => {
  // Only the batch is read: a delete reads each bound app once, not the whole rest per batch.
  const batch = (
    await queryFirst<AppItem>(
      db,
      bindingStateQuery(projectId, instanceId, boundToQuotaPrefix(quotaId)),
      MAX_TRANSACTION_ACTIONS - 1,
    )
  ).map(bindingFromItem);
  const [first] = batch;
  if (!first) return 0;
  const done = await transact(db, [
    quotaUncountAction(db, first.app, quotaId, batch.length),
    ...batch.map((binding) => unbindAction(db, binding.app, quotaId)),
  ]);
  return done ? batch.length : -1;
};
