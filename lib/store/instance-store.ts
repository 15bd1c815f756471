import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type ApiError, instanceNotFound, resourceLimitExceeded } from '../domain/errors.ts';
import type { Instance } from '../domain/models.ts';
import type { ListQuery, Page } from '../domain/page.ts';
import { type CancellationReason, type Db, queryPage, type TransactItem } from './db.ts';
import { instanceKey, instanceListKey, instancesPartition, LIST_PREFIX } from './keys.ts';

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
 * Stores a new instance. Its id is fresh, so the condition only fails when the SDK retried a put
 * whose answer was lost and the item is already ours: that is success, anything else a collision.
 */
export const putInstance = async (db: Db, instance: Instance): Promise<void> => {
  const item = toItem(instance);
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  } catch (error) {
    const existing =
      error instanceof ConditionalCheckFailedException && error.Item ? unmarshall(error.Item) : undefined;
    if (existing?.create_time !== item.create_time || existing?.name !== item.name) throw error;
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
  | { readonly kind: 'not-empty'; readonly apps: number; readonly quotas: number };

/**
 * Deletes an instance that holds nothing, in one conditional DeleteItem. Its `app_num` and
 * `quota_num` are kept in the very transactions that create and delete its apps and quotas (which
 * are themselves conditioned on the instance existing), so `= 0` here means no app, claim, quota or
 * binding is left in its partition, and none can be added after: nothing is ever orphaned.
 */
export const deleteInstance = async (db: Db, projectId: string, instanceId: string): Promise<InstanceDeletion> => {
  try {
    await db.client.send(
      new DeleteCommand({
        TableName: db.tableName,
        Key: instanceKey(projectId, instanceId),
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(app_num) OR app_num = :zero) AND ' +
          '(attribute_not_exists(quota_num) OR quota_num = :zero)',
        ExpressionAttributeValues: { ':zero': 0 },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { kind: 'deleted' };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    if (!error.Item) return { kind: 'missing' };
    const item = unmarshall(error.Item) as InstanceItem;
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
