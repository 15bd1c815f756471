import { GetCommand, type GetCommandInput, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { quotaNameExists } from '#domain/errors.ts';
import { OVERTAKEN, type Overtaken } from '#domain/overtaken.ts';
import type { ListQuery, Page } from '#domain/page.ts';
import type { Quota } from '#domain/quota.ts';
import { countOnInstanceAction, countRefusal, uncountOnInstanceAction } from '#store/items/instance-item.ts';
import {
  type QuotaItem,
  quotaFromItem,
  quotaItemOf,
  type VersionedQuota,
  versionedQuotaFromItem,
} from '#store/items/quota-item.ts';
import {
  type Db,
  getItemInput,
  type NamedActions,
  queryPage,
  sendNamedTransaction,
  transact,
} from '#store/table/db.ts';
import {
  instancePartition,
  LIST_PREFIX,
  QUOTA_DELETES_PARTITION,
  quotaDeleteMarkerKey,
  quotaDeletesOfInstancePrefix,
  quotaKey,
  quotaNameKey,
} from '#store/table/keys.ts';

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
