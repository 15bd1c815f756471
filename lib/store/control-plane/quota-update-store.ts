import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OVERTAKEN, type Overtaken } from '#domain/overtaken.ts';
import { type Quota, windowLengthMs } from '#domain/quota.ts';
import { subcounterShare } from '#domain/subcounters.ts';
import { sameThresholds } from '#domain/usage-window.ts';
import { type AppItem, appFromItem } from '#store/items/app-item.ts';
import { type CounterItem, counterKeys } from '#store/items/counter-item.ts';
import type { VersionedQuota } from '#store/items/quota-item.ts';
import { migrateListedApps } from '#store/migration/migration-store.ts';
import {
  chunks,
  type Db,
  MAX_TRANSACTION_ACTIONS,
  type NamedActions,
  queryAll,
  sendNamedTransaction,
  type TransactItem,
  transact,
} from '#store/table/db.ts';
import {
  boundToQuotaPrefix,
  instancePartition,
  QUOTA_UPDATES_PARTITION,
  quotaKey,
  quotaNameKey,
  quotaUpdateMarkerKey,
} from '#store/table/keys.ts';
import { moveNameClaimActions } from '#store/table/name-claims.ts';
import { getCounters } from './usage-store.ts';

/**
 * How long after its first transaction a split update may still be running its fan-out: longer
 * than the function's 10 s timeout, so a sweep that waits this long never runs a second fan-out
 * beside the request's own (that would be safe, each counter's write is conditioned on the copy
 * it read, but it would double the writes and cancel the request's batches).
 */
export const SPLIT_UPDATE_STALE_MS = 15_000;

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

/** The settings a counter catches up to: the quota's, at a version, and the last version that began a fresh window. */
interface TargetSettings {
  readonly quota: Quota;
  readonly version: number;
  readonly freshVersion: number;
}

/**
 * Copies a quota's settings onto one counter, conditioned on the counter's copy being the one
 * read. A new window length or anchor, or a fresh window begun by a version the counter has not
 * copied yet, starts a fresh window; a new limit alone keeps the units used: `remaining` moves by
 * the difference between the counter's new share of the limit and its old one.
 */
const settingsAction = (
  db: Db,
  { quota, version, freshVersion }: TargetSettings,
  counter: CounterItem,
): TransactItem => {
  const windowMs = windowLengthMs(quota);
  const anchorMs = quota.resetTime?.getTime();
  const share = subcounterShare(quota.callLimits, quota.subcounters, counter.subcounter);
  const fresh =
    (counter.config_version ?? 0) < freshVersion || counter.window_ms !== windowMs || counter.anchor_ms !== anchorMs;
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
  /** When the update is made: the time its marker carries, if it is split. */
  readonly now: Date;
}

/** The settings an update brings its bound counters to. */
const targetOf = ({ current, next, settingsChanged, freshWindow }: QuotaUpdate): TargetSettings => {
  const version = current.configVersion + (settingsChanged ? 1 : 0);
  return { quota: next, version, freshVersion: freshWindow ? version : current.freshVersion };
};

const quotaUpdateActions = (
  db: Db,
  update: QuotaUpdate,
  boundCount?: number,
): NamedActions<'quota' | 'oldNameClaim' | 'newNameClaim'> => {
  const { current, next, freshWindow } = update;
  const { projectId, instanceId, quotaId } = next;
  const { version } = targetOf(update);
  const renamed = next.name !== current.quota.name;
  // Left alone when unchanged, so an update that does not name them (a vendor client's) never
  // writes back the thresholds it read over a concurrent change of them.
  const thresholds = sameThresholds(next.alertThresholds, current.quota.alertThresholds)
    ? 'keep'
    : (next.alertThresholds ?? 'remove');
  const sets = [
    '#name = :name',
    'name_lc = :nameLc',
    'call_limits = :limit',
    'time_unit = :unit',
    'time_interval = :interval',
    'remark = :remark',
    'config_version = :version',
    ...(freshWindow ? ['fresh_version = :version'] : []),
    ...(next.resetTime ? ['reset_time = :reset'] : []),
    ...(typeof thresholds === 'object' ? ['alert_thresholds = :thresholds'] : []),
  ];
  const removes = [...(next.resetTime ? [] : ['reset_time']), ...(thresholds === 'remove' ? ['alert_thresholds'] : [])];
  return {
    quota: {
      Update: {
        TableName: db.tableName,
        Key: quotaKey(projectId, instanceId, quotaId),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
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
          ...(typeof thresholds === 'object' ? { ':thresholds': thresholds } : {}),
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

/** The marker of a split update whose counters may lag (see `QUOTA_UPDATES_PARTITION`). */
interface QuotaUpdateMarkerItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'quota-update';
  readonly project_id: string;
  readonly instance_id: string;
  readonly quota_id: string;
  /** The settings version the update wrote on the quota. */
  readonly config_version: number;
  /** When the update's first transaction was made (ISO 8601). */
  readonly mark_time: string;
}

/** A split update whose counters may lag, as its marker names it. */
export interface QuotaUpdateMarker {
  readonly projectId: string;
  readonly instanceId: string;
  readonly quotaId: string;
  /** The settings version of the update that wrote it. */
  readonly configVersion: number;
  readonly markTime: Date;
}

/**
 * The marker's Put: unconditional, so a newer update replaces the marker of one still lagging
 * (the newer one's fan-out catches up every counter below its own version, those of both).
 */
const putMarkerAction = (db: Db, quota: Quota, version: number, now: Date): TransactItem => {
  const item: QuotaUpdateMarkerItem = {
    ...quotaUpdateMarkerKey(quota.projectId, quota.instanceId, quota.quotaId),
    type: 'quota-update',
    project_id: quota.projectId,
    instance_id: quota.instanceId,
    quota_id: quota.quotaId,
    config_version: version,
    mark_time: now.toISOString(),
  };
  return { Put: { TableName: db.tableName, Item: item } };
};

/** How an update attempt ended: done, the new name is taken, or overtaken by a concurrent change. */
export type UpdateOutcome = 'updated' | 'name-taken' | Overtaken;

/** The update's quota actions and, in one transaction with them, the rest: what its cancellation means. */
const sendQuotaUpdate = async (
  db: Db,
  actions: NamedActions<'quota' | 'oldNameClaim' | 'newNameClaim' | 'counters' | 'marker'>,
): Promise<UpdateOutcome> => {
  const cancelled = await sendNamedTransaction(db, actions);
  if (!cancelled) return 'updated';
  return cancelled.failed('newNameClaim') ? 'name-taken' : OVERTAKEN;
};

/**
 * Updates a quota and copies its settings onto its bound apps' counters. When the quota, its name
 * claims and every counter fit in one transaction (99 counters or fewer), it is one transaction,
 * conditioned on the bound count read, so no consume ever sees a mix of old and new, and no marker
 * is written. Otherwise the quota is updated first (its new settings version stops binds from
 * copying the old ones) together with a marker in `SWEEP#QUOTA-UPDATES`, and the counters follow
 * in transactions of 100 ({@link catchUpCounters}); the marker goes once none lags. Counters an
 * interrupted update left behind keep a lower version, and its marker stays: the sweep (or the
 * next update, whose fan-out covers every counter below its version) catches them up.
 */
export const updateQuota = async (db: Db, update: QuotaUpdate): Promise<UpdateOutcome> => {
  const renamed = update.next.name !== update.current.quota.name;
  const target = targetOf(update);
  const bound = await boundCounters(db, update.current.quota);
  const stale = bound.counters.filter(
    (counter) => update.settingsChanged || (counter.config_version ?? 0) < target.version,
  );
  // The quota's own update, and the name claims' move when it is renamed.
  const quotaActionCount = renamed ? 3 : 1;
  if (quotaActionCount + stale.length <= MAX_TRANSACTION_ACTIONS) {
    return sendQuotaUpdate(db, {
      ...quotaUpdateActions(db, update, bound.apps.length),
      counters: stale.map((counter) => settingsAction(db, target, counter)),
    });
  }
  const outcome = await sendQuotaUpdate(db, {
    ...quotaUpdateActions(db, update),
    marker: putMarkerAction(db, update.next, target.version, update.now),
  });
  if (outcome !== 'updated') return outcome;
  if (await catchUpCounters(db, target)) {
    await removeQuotaUpdateMarker(db, { ...update.next, configVersion: target.version });
  }
  return 'updated';
};

/** How many passes a fan-out makes before leaving the rest to the sweep. */
const FAN_OUT_PASSES = 10;

/**
 * The fan-out of a quota's settings, shared by the update and the sweep: copies them onto every
 * bound counter still below `version`, in transactions of 100, each counter conditioned on the
 * copy it read, so two fan-outs, or one racing a newer update, never write an older copy over a
 * newer one. True when no counter lags any more; false when `stopAt` (epoch ms, wall time) came
 * or its passes ran out first (its progress is kept: every counter written is caught up).
 */
const catchUpCounters = async (db: Db, target: TargetSettings, stopAt?: number): Promise<boolean> => {
  for (let pass = 0; pass < FAN_OUT_PASSES; pass += 1) {
    const stale = (await boundCounters(db, target.quota, target.version)).counters;
    if (stale.length === 0) return true;
    for (const batch of chunks(stale)) {
      if (stopAt !== undefined && Date.now() >= stopAt) return false;
      // A cancelled batch (an app unbound or deleted meanwhile) is simply read again next pass.
      await transact(
        db,
        batch.map((counter) => settingsAction(db, target, counter)),
      );
    }
  }
  return false;
};

/**
 * Catches up the bound counters of a quota as read (live, not being deleted) to its settings and
 * version: what the sweep does for a split update left half applied. True when none lags any more.
 */
export const catchUpQuotaCounters = (db: Db, found: VersionedQuota, stopAt?: number): Promise<boolean> =>
  catchUpCounters(db, { quota: found.quota, version: found.configVersion, freshVersion: found.freshVersion }, stopAt);

/**
 * Deletes a split update's marker, conditioned on its version: the marker of a newer update
 * (which replaced it) stays until that one's counters are caught up. False when it did not go.
 */
export const removeQuotaUpdateMarker = (
  db: Db,
  marker: Pick<QuotaUpdateMarker, 'projectId' | 'instanceId' | 'quotaId' | 'configVersion'>,
): Promise<boolean> =>
  transact(db, [
    {
      Delete: {
        TableName: db.tableName,
        Key: quotaUpdateMarkerKey(marker.projectId, marker.instanceId, marker.quotaId),
        ConditionExpression: 'config_version = :version',
        ExpressionAttributeValues: { ':version': marker.configVersion },
      },
    },
  ]);

/** A page of split updates whose counters may lag: where to go on from, when there is more. */
export interface QuotaUpdatesPage {
  readonly markers: readonly QuotaUpdateMarker[];
  readonly next: Record<string, unknown> | undefined;
}

/** Up to `limit` markers of split updates, from `start` on. One Query of the markers' partition, never a Scan. */
export const listQuotaUpdates = async (
  db: Db,
  limit: number,
  start?: Record<string, unknown>,
): Promise<QuotaUpdatesPage> => {
  const output = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': QUOTA_UPDATES_PARTITION },
      ConsistentRead: true,
      Limit: limit,
      ExclusiveStartKey: start,
    }),
  );
  const markers = ((output.Items ?? []) as QuotaUpdateMarkerItem[]).map((item) => ({
    projectId: item.project_id,
    instanceId: item.instance_id,
    quotaId: item.quota_id,
    configVersion: item.config_version,
    markTime: new Date(item.mark_time),
  }));
  return { markers, next: output.LastEvaluatedKey };
};
