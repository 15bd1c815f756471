import { GetCommand, type GetCommandInput, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { quotaNameExists } from '#domain/errors.ts';
import { OVERTAKEN, type Overtaken } from '#domain/overtaken.ts';
import type { ListQuery, Page } from '#domain/page.ts';
import { type Quota, windowLengthMs } from '#domain/quota.ts';
import { subcounterShare } from '#domain/subcounters.ts';
import { type AppItem, appFromItem } from '#store/items/app-item.ts';
import { type CounterItem, counterKeys } from '#store/items/counter-item.ts';
import { countOnInstanceAction, countRefusal, uncountOnInstanceAction } from '#store/items/instance-item.ts';
import {
  type QuotaItem,
  quotaFromItem,
  quotaItemOf,
  type VersionedQuota,
  versionedQuotaFromItem,
} from '#store/items/quota-item.ts';
import { migrateListedApps } from '#store/migration/migration-store.ts';
import {
  chunks,
  type Db,
  getItemInput,
  MAX_TRANSACTION_ACTIONS,
  type NamedActions,
  queryAll,
  queryPage,
  sendNamedTransaction,
  type TransactItem,
  transact,
} from '#store/table/db.ts';
import {
  boundToQuotaPrefix,
  instancePartition,
  LIST_PREFIX,
  QUOTA_DELETES_PARTITION,
  quotaDeleteMarkerKey,
  quotaDeletesOfInstancePrefix,
  quotaKey,
  quotaNameKey,
} from '#store/table/keys.ts';
import { moveNameClaimActions } from '#store/table/name-claims.ts';
import { getCounters } from './usage-store.ts';

/**
 * The transaction that stores a new quota: counts it on its instance (which must exist and be
 * under `maxQuotas`), puts it and claims its name within the instance.
 */
export const createQuotaActions = (
  db: Db,
  quota: Quota,
  maxQuotas: number,
): NamedActions<'instanceCount' | 'quota' | 'nameClaim'> => {
  const { projectId, instanceId } = quota;
  return {
    instanceCount: countOnInstanceAction(db, projectId, instanceId, 'quota_num', maxQuotas),
    quota: {
      Put: { TableName: db.tableName, Item: quotaItemOf(quota), ConditionExpression: 'attribute_not_exists(pk)' },
    },
    nameClaim: {
      Put: {
        TableName: db.tableName,
        Item: { ...quotaNameKey(projectId, instanceId, quota.name), type: 'quota-name', quota_id: quota.quotaId },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  };
};

/**
 * Stores a new quota in one transaction ({@link createQuotaActions}). False when a concurrent
 * transaction on the instance cancelled it without any condition failing: the caller tries again.
 */
export const createQuota = async (db: Db, quota: Quota, maxQuotas: number): Promise<'created' | Overtaken> => {
  const cancelled = await sendNamedTransaction(db, createQuotaActions(db, quota, maxQuotas));
  if (!cancelled) return 'created';
  if (cancelled.failed('instanceCount')) throw countRefusal(cancelled.itemOf('instanceCount'), quota.instanceId);
  if (cancelled.failed('nameClaim')) throw quotaNameExists();
  if (cancelled.overtaken) return OVERTAKEN;
  throw cancelled.error;
};

/** The read of a quota: its item, strongly consistent. */
export const getQuotaInput = (db: Db, projectId: string, instanceId: string, quotaId: string): GetCommandInput =>
  getItemInput(db, quotaKey(projectId, instanceId, quotaId));

/** The quota with its settings' version, if it exists in this instance. */
export const getQuota = async (
  db: Db,
  projectId: string,
  instanceId: string,
  quotaId: string,
): Promise<VersionedQuota | undefined> => {
  const { Item } = await db.client.send(new GetCommand(getQuotaInput(db, projectId, instanceId, quotaId)));
  return Item ? versionedQuotaFromItem(Item as QuotaItem) : undefined;
};

/** A page of the instance's quotas, newest first; quotas being deleted are not listed. */
export const listQuotas = async (
  db: Db,
  projectId: string,
  instanceId: string,
  query: ListQuery,
): Promise<Page<Quota>> => {
  const page = await queryPage<QuotaItem>(
    db,
    {
      IndexName: 'lsi1',
      KeyConditionExpression: 'pk = :pk AND begins_with(lsi1sk, :prefix)',
      FilterExpression: 'attribute_not_exists(deleting)',
      ExpressionAttributeValues: { ':pk': instancePartition(projectId, instanceId), ':prefix': LIST_PREFIX.quota },
    },
    query,
  );
  return { total: page.total, items: page.items.map(quotaFromItem) };
};

/**
 * The counters of a quota's bound apps, as the settings fan-out needs them (optionally only those
 * below a version): the bound apps from the binding index (bound apps of the old layout moved to
 * this one first), then their counters.
 */
const boundCounters = async (db: Db, quota: Quota, belowVersion?: number) => {
  for (let pass = 0; ; pass += 1) {
    const apps = await queryAll<AppItem>(db, {
      IndexName: 'lsi2',
      KeyConditionExpression: 'pk = :pk AND begins_with(lsi2sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': instancePartition(quota.projectId, quota.instanceId),
        ':prefix': boundToQuotaPrefix(quota.quotaId),
      },
    });
    if (pass < 10 && (await migrateListedApps(db, apps))) continue;
    const counters = await getCounters(
      db,
      apps.flatMap((app) => counterKeys(appFromItem(app), quota.subcounters)),
    );
    const stale = counters.filter(
      (counter) =>
        counter.quota_id === quota.quotaId &&
        (belowVersion === undefined || (counter.config_version ?? 0) < belowVersion),
    );
    return { apps, counters: stale };
  }
};

/**
 * Copies a quota's settings onto one counter, conditioned on the counter's copy being the one
 * read. A new window length or anchor (or `freshWindow`) starts a fresh window; a new limit alone
 * keeps the units used: `remaining` moves by the difference between the counter's new share of
 * the limit and its old one.
 */
const settingsAction = (
  db: Db,
  quota: Quota,
  version: number,
  counter: CounterItem,
  freshWindow: boolean,
): TransactItem => {
  const windowMs = windowLengthMs(quota);
  const anchorMs = quota.resetTime?.getTime();
  const share = subcounterShare(quota.callLimits, quota.subcounters, counter.subcounter);
  const fresh = freshWindow || counter.window_ms !== windowMs || counter.anchor_ms !== anchorMs;
  const sets = ['call_limits = :calls', 'limit_units = :limit', 'window_ms = :window', 'config_version = :version'];
  const removes: string[] = [];
  if (anchorMs === undefined) removes.push('anchor_ms');
  else sets.push('anchor_ms = :anchor');
  if (fresh) removes.push('window_end_ms', 'remaining');
  else sets.push('remaining = if_not_exists(remaining, :zero) + :delta');
  return {
    Update: {
      TableName: db.tableName,
      Key: { pk: counter.pk, sk: counter.sk },
      UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: 'quota_id = :quota AND config_version = :seen',
      ExpressionAttributeValues: {
        ':calls': quota.callLimits,
        ':limit': share,
        ':window': windowMs,
        ':version': version,
        ':quota': quota.quotaId,
        ':seen': counter.config_version,
        ...(anchorMs === undefined ? {} : { ':anchor': anchorMs }),
        ...(fresh ? {} : { ':zero': 0, ':delta': share - (counter.limit_units ?? share) }),
      },
    },
  };
};

/** What an update changes. */
export interface QuotaUpdate {
  readonly current: VersionedQuota;
  readonly next: Quota;
  /** The limit or window changed: the settings version moves on and bound apps get the copy. */
  readonly settingsChanged: boolean;
  /** The window's unit, interval or anchor changed: every bound app starts a fresh window. */
  readonly freshWindow: boolean;
}

const quotaUpdateActions = (
  db: Db,
  { current, next, settingsChanged }: QuotaUpdate,
  boundCount?: number,
): NamedActions<'quota' | 'oldNameClaim' | 'newNameClaim'> => {
  const { projectId, instanceId, quotaId } = next;
  const version = current.configVersion + (settingsChanged ? 1 : 0);
  const renamed = next.name !== current.quota.name;
  return {
    quota: {
      Update: {
        TableName: db.tableName,
        Key: quotaKey(projectId, instanceId, quotaId),
        UpdateExpression:
          'SET #name = :name, name_lc = :nameLc, call_limits = :limit, time_unit = :unit, time_interval = :interval, ' +
          `remark = :remark, config_version = :version${next.resetTime ? ', reset_time = :reset' : ' REMOVE reset_time'}`,
        ConditionExpression:
          'config_version = :seen AND attribute_not_exists(deleting)' +
          (boundCount === undefined ? '' : ' AND bound_app_num = :bound'),
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: {
          ':name': next.name,
          ':nameLc': next.name.toLowerCase(),
          ':limit': next.callLimits,
          ':unit': next.timeUnit,
          ':interval': next.timeInterval,
          ':remark': next.remark,
          ':version': version,
          ':seen': current.configVersion,
          ...(next.resetTime ? { ':reset': next.resetTime.toISOString() } : {}),
          ...(boundCount === undefined ? {} : { ':bound': boundCount }),
        },
      },
    },
    ...(renamed
      ? moveNameClaimActions(
          db.tableName,
          quotaNameKey(projectId, instanceId, current.quota.name),
          quotaNameKey(projectId, instanceId, next.name),
          'quota-name',
          { attribute: 'quota_id', id: quotaId },
        )
      : {}),
  };
};

/** How an update attempt ended: done, the new name is taken, or overtaken by a concurrent change. */
export type UpdateOutcome = 'updated' | 'name-taken' | Overtaken;

/** The update's quota actions and, in one transaction with them, `counters`: what its cancellation means. */
const sendQuotaUpdate = async (
  db: Db,
  actions: NamedActions<'quota' | 'oldNameClaim' | 'newNameClaim' | 'counters'>,
): Promise<'updated' | 'name-taken' | Overtaken> => {
  const cancelled = await sendNamedTransaction(db, actions);
  if (!cancelled) return 'updated';
  return cancelled.failed('newNameClaim') ? 'name-taken' : OVERTAKEN;
};

/**
 * Updates a quota and copies its settings onto its bound apps' counters. When the quota, its name
 * claims and every counter fit in one transaction (99 counters or fewer), it is one transaction,
 * conditioned on the bound count read, so no consume ever sees a mix of old and new. Otherwise the
 * quota is updated first (its new settings version stops binds from copying the old ones) and the
 * apps follow in transactions of 100, each app conditioned on the copy it had; apps left behind by
 * an interrupted update keep a lower version and are caught up by the next update of the quota.
 */
export const updateQuota = async (db: Db, update: QuotaUpdate): Promise<UpdateOutcome> => {
  const renamed = update.next.name !== update.current.quota.name;
  const version = update.current.configVersion + (update.settingsChanged ? 1 : 0);
  const bound = await boundCounters(db, update.current.quota);
  const stale = bound.counters.filter((counter) => update.settingsChanged || (counter.config_version ?? 0) < version);
  // The quota's own update, and the name claims' move when it is renamed.
  const quotaActionCount = renamed ? 3 : 1;
  if (quotaActionCount + stale.length <= MAX_TRANSACTION_ACTIONS) {
    return sendQuotaUpdate(db, {
      ...quotaUpdateActions(db, update, bound.apps.length),
      counters: stale.map((counter) => settingsAction(db, update.next, version, counter, update.freshWindow)),
    });
  }
  const outcome = await sendQuotaUpdate(db, quotaUpdateActions(db, update));
  if (outcome !== 'updated') return outcome;
  await catchUpBoundApps(db, update.next, version, update.freshWindow);
  return 'updated';
};

/** How many passes the fan-out makes before leaving the rest to the next update. */
const FAN_OUT_PASSES = 10;

/** Copies the quota's settings onto every bound app still below `version`, in transactions of 100. */
const catchUpBoundApps = async (db: Db, quota: Quota, version: number, freshWindow: boolean): Promise<void> => {
  for (let pass = 0; pass < FAN_OUT_PASSES; pass += 1) {
    const stale = (await boundCounters(db, quota, version)).counters;
    if (stale.length === 0) return;
    for (const batch of chunks(stale)) {
      // A cancelled batch (an app unbound or deleted meanwhile) is simply read again next pass.
      await transact(
        db,
        batch.map((counter) => settingsAction(db, quota, version, counter, freshWindow)),
      );
    }
  }
};

/** The marker of a quota delete under way (see `QUOTA_DELETES_PARTITION`). */
interface QuotaDeleteMarkerItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'quota-delete';
  readonly project_id: string;
  readonly instance_id: string;
  readonly quota_id: string;
  /** When the quota was marked deleting (ISO 8601). */
  readonly mark_time: string;
}

/** A quota delete under way, as its marker names it. */
export interface QuotaDeleteMarker {
  readonly projectId: string;
  readonly instanceId: string;
  readonly quotaId: string;
  readonly markTime: Date;
}

/**
 * First step of deleting a quota, in one transaction: mark it deleting (from now on it does not
 * exist for any reader and no bind can commit to it), free its name, and put the marker by which
 * the sweep finds the delete if nobody finishes it. Only one mark can succeed (the quota's
 * condition), so there is never a second marker to put.
 */
export const markQuotaDeleting = async (db: Db, quota: Quota, markTime: Date): Promise<'marked' | Overtaken> => {
  const { projectId, instanceId, quotaId } = quota;
  const marker: QuotaDeleteMarkerItem = {
    ...quotaDeleteMarkerKey(projectId, instanceId, quotaId),
    type: 'quota-delete',
    project_id: projectId,
    instance_id: instanceId,
    quota_id: quotaId,
    mark_time: markTime.toISOString(),
  };
  const marked = await transact(db, [
    {
      Update: {
        TableName: db.tableName,
        Key: quotaKey(projectId, instanceId, quotaId),
        UpdateExpression: 'SET deleting = :yes',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deleting)',
        ExpressionAttributeValues: { ':yes': true },
      },
    },
    {
      Delete: {
        TableName: db.tableName,
        Key: quotaNameKey(projectId, instanceId, quota.name),
        ConditionExpression: 'quota_id = :quota',
        ExpressionAttributeValues: { ':quota': quotaId },
      },
    },
    { Put: { TableName: db.tableName, Item: marker } },
  ]);
  return marked ? 'marked' : OVERTAKEN;
};

/**
 * Last step of deleting a quota: once no app is bound to it, delete it, uncount it from its
 * instance and delete its marker, in one transaction.
 */
export const removeDeletedQuota = async (db: Db, quota: Quota): Promise<'removed' | Overtaken> =>
  (await transact(db, [
    {
      Delete: {
        TableName: db.tableName,
        Key: quotaKey(quota.projectId, quota.instanceId, quota.quotaId),
        ConditionExpression: 'deleting = :yes AND bound_app_num = :zero AND attribute_not_exists(pending_binds)',
        ExpressionAttributeValues: { ':yes': true, ':zero': 0 },
      },
    },
    uncountOnInstanceAction(db, quota.projectId, quota.instanceId, 'quota_num'),
    {
      Delete: { TableName: db.tableName, Key: quotaDeleteMarkerKey(quota.projectId, quota.instanceId, quota.quotaId) },
    },
  ]))
    ? 'removed'
    : OVERTAKEN;

/** A page of quota deletes under way: where to go on from, when there is more. */
export interface QuotaDeletesPage {
  readonly markers: readonly QuotaDeleteMarker[];
  readonly next: Record<string, unknown> | undefined;
}

/**
 * Up to `limit` markers of quota deletes under way, from `start` on: every instance's, or one
 * instance's (a key condition on its prefix). One Query of the markers' partition, never a Scan.
 */
export const listQuotaDeletes = async (
  db: Db,
  limit: number,
  options: {
    readonly instance?: { readonly projectId: string; readonly instanceId: string };
    readonly start?: Record<string, unknown>;
  } = {},
): Promise<QuotaDeletesPage> => {
  const { instance, start } = options;
  const output = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: instance ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
      ExpressionAttributeValues: {
        ':pk': QUOTA_DELETES_PARTITION,
        ...(instance ? { ':prefix': quotaDeletesOfInstancePrefix(instance.projectId, instance.instanceId) } : {}),
      },
      ConsistentRead: true,
      Limit: limit,
      ExclusiveStartKey: start,
    }),
  );
  const markers = ((output.Items ?? []) as QuotaDeleteMarkerItem[]).map((item) => ({
    projectId: item.project_id,
    instanceId: item.instance_id,
    quotaId: item.quota_id,
    markTime: new Date(item.mark_time),
  }));
  return { markers, next: output.LastEvaluatedKey };
};

/**
 * Deletes the marker of a delete whose quota is gone, conditioned on the quota being gone, so the
 * marker of a delete still under way is never lost. False when the quota is still there.
 */
export const removeStaleQuotaDeleteMarker = async (db: Db, marker: QuotaDeleteMarker): Promise<boolean> =>
  transact(db, [
    {
      ConditionCheck: {
        TableName: db.tableName,
        Key: quotaKey(marker.projectId, marker.instanceId, marker.quotaId),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Delete: {
        TableName: db.tableName,
        Key: quotaDeleteMarkerKey(marker.projectId, marker.instanceId, marker.quotaId),
      },
    },
  ]);
