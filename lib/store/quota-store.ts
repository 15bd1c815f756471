import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { instanceNotFound, quotaNameExists, resourceLimitExceeded } from '../domain/errors.ts';
import type { Quota, TimeUnit } from '../domain/quota.ts';
import { cancellationReasons, type Db, failedCondition } from './db.ts';
import { instanceKey, quotaKey, quotaListKey, quotaNameKey } from './keys.ts';

/** The stored form of a quota. */
export interface QuotaItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'quota';
  readonly lsi1sk: string;
  readonly project_id: string;
  readonly instance_id: string;
  readonly quota_id: string;
  readonly name: string;
  readonly name_lc: string;
  readonly call_limits: number;
  readonly time_unit: TimeUnit;
  readonly time_interval: number;
  /** ISO 8601; absent when windows open at a credential's first call. */
  readonly reset_time?: string;
  readonly remark: string;
  readonly create_time: string;
  readonly bound_app_num: number;
  /**
   * Bumped by every change of the limit or window. Bindings copy the quota's settings onto their
   * apps and are conditioned on this version, so a copy is never of a superseded version.
   */
  readonly config_version: number;
}

const toItem = (quota: Quota): QuotaItem => ({
  ...quotaKey(quota.projectId, quota.instanceId, quota.quotaId),
  type: 'quota',
  lsi1sk: quotaListKey(quota.createTime, quota.quotaId),
  project_id: quota.projectId,
  instance_id: quota.instanceId,
  quota_id: quota.quotaId,
  name: quota.name,
  name_lc: quota.name.toLowerCase(),
  call_limits: quota.callLimits,
  time_unit: quota.timeUnit,
  time_interval: quota.timeInterval,
  ...(quota.resetTime ? { reset_time: quota.resetTime.toISOString() } : {}),
  remark: quota.remark,
  create_time: quota.createTime.toISOString(),
  bound_app_num: quota.boundAppNum,
  config_version: 1,
});

/** A quota as read, with the version its settings are at. */
export interface VersionedQuota {
  readonly quota: Quota;
  readonly configVersion: number;
}

/** The domain form of a stored quota. */
export const quotaFromItem = (item: QuotaItem): Quota => ({
  projectId: item.project_id,
  instanceId: item.instance_id,
  quotaId: item.quota_id,
  name: item.name,
  callLimits: item.call_limits,
  timeUnit: item.time_unit,
  timeInterval: item.time_interval,
  resetTime: item.reset_time ? new Date(item.reset_time) : undefined,
  remark: item.remark,
  createTime: new Date(item.create_time),
  boundAppNum: item.bound_app_num,
});

/**
 * Stores a new quota in one transaction: counts it on its instance (which must exist and be under
 * `maxQuotas`) and claims its name within the instance.
 */
export const createQuota = async (db: Db, quota: Quota, maxQuotas: number): Promise<void> => {
  const { projectId, instanceId } = quota;
  try {
    await db.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: db.tableName,
              Key: instanceKey(projectId, instanceId),
              UpdateExpression: 'SET quota_num = if_not_exists(quota_num, :zero) + :one',
              ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(quota_num) OR quota_num < :max)',
              ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':max': maxQuotas },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          { Put: { TableName: db.tableName, Item: toItem(quota), ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Put: {
              TableName: db.tableName,
              Item: { ...quotaNameKey(projectId, instanceId, quota.name), type: 'quota-name', quota_id: quota.quotaId },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (!reasons) throw error;
    if (failedCondition(reasons, 0)) throw reasons[0]?.item ? resourceLimitExceeded() : instanceNotFound(instanceId);
    if (failedCondition(reasons, 2)) throw quotaNameExists();
    throw error;
  }
};

/** The quota with its settings' version, if it exists in this instance. */
export const getQuota = async (
  db: Db,
  projectId: string,
  instanceId: string,
  quotaId: string,
): Promise<VersionedQuota | undefined> => {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: quotaKey(projectId, instanceId, quotaId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const item = Item as QuotaItem;
  return { quota: quotaFromItem(item), configVersion: item.config_version };
};
