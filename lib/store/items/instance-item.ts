import { type ApiError, instanceNotFound, resourceLimitExceeded } from '#domain/errors.ts';
import type { Instance } from '#domain/models.ts';
import type { Db, TransactItem } from '#store/table/db.ts';
import { instanceKey, instanceListKey } from '#store/table/keys.ts';

/** The stored form of an instance. */
export interface InstanceItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'instance';
  readonly lsi1sk: string;
  readonly project_id: string;
  readonly instance_id: string;
  readonly name: string;
  readonly name_lc: string;
  readonly description: string;
  readonly create_time: string;
  /** Apps the instance holds, kept by the app transactions to enforce the apps-per-instance limit. */
  readonly app_num?: number;
  /** Quotas the instance holds, for the quotas-per-instance limit. */
  readonly quota_num?: number;
}

/** The stored form of a new instance, counting nothing yet. */
export const instanceItemOf = (instance: Instance): InstanceItem => ({
  ...instanceKey(instance.projectId, instance.instanceId),
  type: 'instance',
  lsi1sk: instanceListKey(instance.name, instance.instanceId),
  project_id: instance.projectId,
  instance_id: instance.instanceId,
  name: instance.name,
  name_lc: instance.name.toLowerCase(),
  description: instance.description,
  create_time: instance.createTime.toISOString(),
  app_num: 0,
  quota_num: 0,
});

/** The domain form of a stored instance. */
export const instanceFromItem = (item: InstanceItem): Instance => ({
  projectId: item.project_id,
  instanceId: item.instance_id,
  name: item.name,
  description: item.description,
  createTime: new Date(item.create_time),
});

/** The counts an instance keeps of what it holds, to enforce the resource limits. */
export type InstanceCount = 'app_num' | 'quota_num';

/**
 * Counts one more app or quota on its instance, as an action of the transaction that creates it:
 * conditioned on the instance existing and the count being under `max`. On refusal the instance
 * comes back with the cancellation, which {@link countRefusal} reads.
 */
export const countOnInstanceAction = (
  db: Db,
  projectId: string,
  instanceId: string,
  count: InstanceCount,
  max: number,
): TransactItem => ({
  Update: {
    TableName: db.tableName,
    Key: instanceKey(projectId, instanceId),
    UpdateExpression: `SET ${count} = if_not_exists(${count}, :zero) + :one`,
    ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(${count}) OR ${count} < :max)`,
    ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':max': max },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

/** Counts one app or quota less on its instance, in the transaction that deletes it. */
export const uncountOnInstanceAction = (
  db: Db,
  projectId: string,
  instanceId: string,
  count: InstanceCount,
): TransactItem => ({
  Update: {
    TableName: db.tableName,
    Key: instanceKey(projectId, instanceId),
    UpdateExpression: `SET ${count} = ${count} - :one`,
    ExpressionAttributeValues: { ':one': 1 },
  },
});

/** Why a {@link countOnInstanceAction} failed: no instance (404 `APIG.3030`) or the limit (403 `APIG.3100`). */
export const countRefusal = (instance: Record<string, unknown> | undefined, instanceId: string): ApiError =>
  instance ? resourceLimitExceeded() : instanceNotFound(instanceId);
