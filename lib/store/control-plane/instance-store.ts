import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type ApiError, instanceNotFound, resourceLimitExceeded } from '#domain/errors.ts';
import type { Instance } from '#domain/models.ts';
import type { ListQuery, Page } from '#domain/page.ts';
import {
  type CancellationReason,
  cancellationReasons,
  type Db,
  failedCondition,
  onlyConflicts,
  queryPage,
  sendTransaction,
  type TransactItem,
} from '#store/table/db.ts';
import { instanceKey, instanceListKey, instancesPartition, LIST_PREFIX, projectKey } from '#store/table/keys.ts';

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

const toItem = (instance: Instance): InstanceItem => ({
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

const fromItem = (item: InstanceItem): Instance => ({
  projectId: item.project_id,
  instanceId: item.instance_id,
  name: item.name,
  description: item.description,
  createTime: new Date(item.create_time),
});

/**
 * Stores a new instance and counts it on its project, in one transaction: the count must stay
 * within `maxInstances` (403 `APIG.3100`). The id is fresh, so the instance's own condition never
 * fails; a retry of a transaction whose answer was lost is recognised by its idempotency token.
 * False when a concurrent create or delete in the project overtook it: the caller tries again.
 */
export const putInstance = async (db: Db, instance: Instance, maxInstances: number): Promise<boolean> => {
  try {
    await sendTransaction(db, [
      {
        Update: {
          TableName: db.tableName,
          Key: projectKey(instance.projectId),
          UpdateExpression: 'SET instance_num = if_not_exists(instance_num, :zero) + :one, #type = :project',
          ConditionExpression: 'attribute_not_exists(instance_num) OR instance_num < :max',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':max': maxInstances, ':project': 'project' },
        },
      },
      { Put: { TableName: db.tableName, Item: toItem(instance), ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);
    return true;
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (reasons && failedCondition(reasons, 0)) throw resourceLimitExceeded();
    if (reasons && onlyConflicts(reasons)) return false;
    throw error;
  }
};

/** The instance, if it exists in this project. */
export const getInstance = async (db: Db, projectId: string, instanceId: string): Promise<Instance | undefined> => {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: instanceKey(projectId, instanceId), ConsistentRead: true }),
  );
  return Item ? fromItem(Item as InstanceItem) : undefined;
};

/** How many apps and quotas an instance holds, if it exists in this project (one small read). */
export const getInstanceCounts = async (
  db: Db,
  projectId: string,
  instanceId: string,
): Promise<{ readonly apps: number; readonly quotas: number } | undefined> => {
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: instanceKey(projectId, instanceId),
      ConsistentRead: true,
      ProjectionExpression: 'app_num, quota_num, instance_id',
    }),
  );
  return Item ? { apps: Number(Item.app_num ?? 0), quotas: Number(Item.quota_num ?? 0) } : undefined;
};

/** A page of the project's instances by name. */
export const listInstances = async (db: Db, projectId: string, query: ListQuery): Promise<Page<Instance>> => {
  const page = await queryPage<InstanceItem>(
    db,
    {
      IndexName: 'lsi1',
      KeyConditionExpression: 'pk = :pk AND begins_with(lsi1sk, :prefix)',
      ExpressionAttributeValues: { ':pk': instancesPartition(projectId), ':prefix': LIST_PREFIX.instance },
    },
    query,
  );
  return { total: page.total, items: page.items.map(fromItem) };
};

/** What {@link deleteInstance} found: done, no such instance, or one still holding apps or quotas. */
export type InstanceDeletion =
  | { readonly kind: 'deleted' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'not-empty'; readonly apps: number; readonly quotas: number };

/**
 * Deletes an instance that holds nothing, in one conditional DeleteItem. Its `app_num` and
 * `quota_num` are kept in the very transactions that create and delete its apps and quotas (which
 * are themselves conditioned on the instance existing), so `= 0` here means no app, claim, quota or
 * binding is left in its partition, and none can be added after: nothing is ever orphaned.
 */
export const deleteInstance = async (db: Db, projectId: string, instanceId: string): Promise<InstanceDeletion> => {
  try {
    await sendTransaction(db, [
      {
        Delete: {
          TableName: db.tableName,
          Key: instanceKey(projectId, instanceId),
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(app_num) OR app_num = :zero) AND ' +
            '(attribute_not_exists(quota_num) OR quota_num = :zero)',
          ExpressionAttributeValues: { ':zero': 0 },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        // A project from before instances were counted has no count yet: it starts from 1 here,
        // so deleting its older instances can free at most as many places as it had instances.
        Update: {
          TableName: db.tableName,
          Key: projectKey(projectId),
          UpdateExpression: 'SET instance_num = if_not_exists(instance_num, :one) - :one, #type = :project',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':one': 1, ':project': 'project' },
        },
      },
    ]);
    return { kind: 'deleted' };
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (reasons && onlyConflicts(reasons)) return { kind: 'conflict' };
    if (!reasons || !failedCondition(reasons, 0)) throw error;
    const item = reasons[0]?.item as InstanceItem | undefined;
    if (!item) return { kind: 'missing' };
    return { kind: 'not-empty', apps: item.app_num ?? 0, quotas: item.quota_num ?? 0 };
  }
};

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
export const countRefusal = (reason: CancellationReason | undefined, instanceId: string): ApiError =>
  reason?.item ? resourceLimitExceeded() : instanceNotFound(instanceId);
