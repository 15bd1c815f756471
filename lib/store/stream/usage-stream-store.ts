import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ThresholdEventDetail } from '#domain/threshold-event.ts';
import type { CounterUse } from '#domain/usage-window.ts';
import type { CounterItem } from '#store/items/counter-item.ts';
import type { QuotaItem } from '#store/items/quota-item.ts';
import type { ThresholdAlertItem } from '#store/items/threshold-alert-item.ts';
import type { UsageHistoryItem } from '#store/items/usage-history-item.ts';
import { batchGet, type Db, getItemInput } from '#store/table/db.ts';
import {
  type Key,
  quotaKey,
  thresholdAlertKey,
  thresholdAlertsPrefix,
  usageHistoryKey,
  usageHistoryPartition,
} from '#store/table/keys.ts';

/** Whose window a history or alert write is about. */
export interface WindowOwner {
  readonly projectId: string;
  readonly instanceId: string;
  readonly appId: string;
}

/**
 * Adds one sub-counter's use of a closed window to the credential's history item of that window,
 * once: the ADD is conditioned on the sub-counter's index not being in `counted` yet, and adds it
 * there, so a redelivered record adds nothing. The rest of the item is SET (the same values from
 * every sub-counter of the window; the limit the last one's). Returns the item after the write, or
 * as it was when the index was already counted.
 */
const addWindowUse = async (
  db: Db,
  owner: WindowOwner,
  use: CounterUse,
  expiresAt: number,
): Promise<UsageHistoryItem> => {
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: usageHistoryKey(owner.projectId, owner.instanceId, owner.appId, use.window.start),
        UpdateExpression:
          'SET #type = :type, project_id = :project, instance_id = :instance, app_id = :app, ' +
          'app_quota_id = :quota, #limit = :limit, window_start_ms = :start, window_end_ms = :end, ' +
          'expires_at = :expires ADD #used :used, counted :counted',
        ConditionExpression: 'NOT contains(counted, :subcounter)',
        ExpressionAttributeNames: { '#type': 'type', '#limit': 'limit', '#used': 'used' },
        ExpressionAttributeValues: {
          ':type': 'usage-history',
          ':project': owner.projectId,
          ':instance': owner.instanceId,
          ':app': owner.appId,
          ':quota': use.quotaId,
          ':limit': use.limit,
          ':start': use.window.start,
          ':end': use.window.end,
          ':expires': expiresAt,
          ':used': use.used,
          ':counted': new Set([use.subcounter]),
          ':subcounter': use.subcounter,
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return Attributes as UsageHistoryItem;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException && error.Item)
      return unmarshall(error.Item) as UsageHistoryItem;
    throw error;
  }
};

/** The alert records of one window of a credential (strongly consistent: one Query of a few items). */
const readAlerts = async (db: Db, owner: WindowOwner, windowStartMs: number): Promise<ThresholdAlertItem[]> => {
  const { Items } = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': usageHistoryPartition(owner.projectId, owner.instanceId, owner.appId),
        ':prefix': thresholdAlertsPrefix(windowStartMs),
      },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []) as ThresholdAlertItem[];
};

/**
 * A quota's own alert thresholds: one strongly consistent GetItem of the quota item, projected to
 * the one attribute (1 read unit). Undefined when it has none, or is gone (deleted meanwhile).
 */
const readQuotaThresholds = async (
  db: Db,
  projectId: string,
  instanceId: string,
  quotaId: string,
): Promise<readonly number[] | undefined> => {
  const { Item } = await db.client.send(
    new GetCommand({
      ...getItemInput(db, quotaKey(projectId, instanceId, quotaId)),
      ProjectionExpression: 'alert_thresholds',
    }),
  );
  return (Item as Pick<QuotaItem, 'alert_thresholds'> | undefined)?.alert_thresholds;
};

/** The key of a threshold event's record. */
const alertKeyOf = (detail: ThresholdEventDetail, windowStartMs: number): Key =>
  thresholdAlertKey(detail.project_id, detail.instance_id, detail.app_id, windowStartMs, detail.threshold);

/**
 * Claims a threshold event (its record, `pending`) unless it is claimed already: true when this
 * call claimed it, false when a record was there.
 */
const claimAlert = async (
  db: Db,
  detail: ThresholdEventDetail,
  windowStartMs: number,
  claimedBy: string,
  expiresAt: number,
): Promise<boolean> => {
  const item: ThresholdAlertItem = {
    ...alertKeyOf(detail, windowStartMs),
    type: 'threshold-alert',
    state: 'pending',
    claimed_by: claimedBy,
    detail,
    expires_at: expiresAt,
  };
  try {
    await db.client.send(
      new PutCommand({ TableName: db.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};

/** Marks a threshold event sent. */
const markAlertSent = async (db: Db, detail: ThresholdEventDetail, windowStartMs: number): Promise<void> => {
  await db.client.send(
    new UpdateCommand({
      TableName: db.tableName,
      Key: alertKeyOf(detail, windowStartMs),
      UpdateExpression: 'SET #state = :sent',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':sent': 'sent' },
    }),
  );
};

/**
 * What the stream processor reads and writes: counters and a quota's thresholds (read), the usage
 * history and the threshold alert records (written). Apart from the control plane's store, so neither function's
 * request path carries it.
 */
export const createUsageStreamStore = (db: Db) => ({
  /** The counters with these keys that exist, strongly consistent (one BatchGetItem). */
  readCounters: (keys: readonly Key[]) => batchGet<CounterItem>(db, keys),
  readQuotaThresholds: (projectId: string, instanceId: string, quotaId: string) =>
    readQuotaThresholds(db, projectId, instanceId, quotaId),
  addWindowUse: (owner: WindowOwner, use: CounterUse, expiresAt: number) => addWindowUse(db, owner, use, expiresAt),
  readAlerts: (owner: WindowOwner, windowStartMs: number) => readAlerts(db, owner, windowStartMs),
  claimAlert: (detail: ThresholdEventDetail, windowStartMs: number, claimedBy: string, expiresAt: number) =>
    claimAlert(db, detail, windowStartMs, claimedBy, expiresAt),
  markAlertSent: (detail: ThresholdEventDetail, windowStartMs: number) => markAlertSent(db, detail, windowStartMs),
});

/** What the stream processor needs of the table. */
export type UsageStreamStore = ReturnType<typeof createUsageStreamStore>;
