import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { resourceLimitExceeded } from '#domain/errors.ts';
import type { Instance } from '#domain/models.ts';
import { OVERTAKEN, type Overtaken } from '#domain/overtaken.ts';
import type { ListQuery, Page } from '#domain/page.ts';
import { type InstanceItem, instanceFromItem, instanceItemOf } from '#store/items/instance-item.ts';
import { type Db, queryPage, sendNamedTransaction } from '#store/table/db.ts';
import { instanceKey, instancesPartition, LIST_PREFIX, projectKey } from '#store/table/keys.ts';

/**
 * Stores a new instance and counts it on its project, in one transaction: the count must stay
 * within `maxInstances` (403 `APIG.3100`). The id is fresh, so the instance's own condition never
 * fails; a retry of a transaction whose answer was lost is recognised by its idempotency token.
 * Overtaken when a concurrent create or delete in the project cancelled it: the caller tries again.
 */
export const putInstance = async (db: Db, instance: Instance, maxInstances: number): Promise<'created' | Overtaken> => {
  const cancelled = await sendNamedTransaction(db, {
    projectCount: {
      Update: {
        TableName: db.tableName,
        Key: projectKey(instance.projectId),
        UpdateExpression: 'SET instance_num = if_not_exists(instance_num, :zero) + :one, #type = :project',
        ConditionExpression: 'attribute_not_exists(instance_num) OR instance_num < :max',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':max': maxInstances, ':project': 'project' },
      },
    },
    instance: {
      Put: {
        TableName: db.tableName,
        Item: instanceItemOf(instance),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  });
  if (!cancelled) return 'created';
  if (cancelled.failed('projectCount')) throw resourceLimitExceeded();
  if (cancelled.overtaken) return OVERTAKEN;
  throw cancelled.error;
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

/** What list instances filters by: the name, a second name (the vendor's `instance_name`), the id. */
export interface InstanceListQuery extends ListQuery {
  /** Another substring the name must hold (given both `name` and `instance_name`). */
  readonly alsoName?: string | undefined;
  readonly id?: string | undefined;
}

/** A page of the project's instances by name, filtered by name and id. */
export const listInstances = async (db: Db, projectId: string, query: InstanceListQuery): Promise<Page<Instance>> => {
  const filters = [
    query.id === undefined ? undefined : 'instance_id = :id',
    query.alsoName === undefined ? undefined : 'contains(name_lc, :alsoName)',
  ].filter((filter) => filter !== undefined);
  const page = await queryPage<InstanceItem>(
    db,
    {
      IndexName: 'lsi1',
      KeyConditionExpression: 'pk = :pk AND begins_with(lsi1sk, :prefix)',
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
      ExpressionAttributeValues: {
        ':pk': instancesPartition(projectId),
        ':prefix': LIST_PREFIX.instance,
        ...(query.id === undefined ? {} : { ':id': query.id }),
        ...(query.alsoName === undefined ? {} : { ':alsoName': query.alsoName.toLowerCase() }),
      },
    },
    query,
  );
  return { total: page.total, items: page.items.map(instanceFromItem) };
};

/** What {@link deleteInstance} found: done, no such instance, or one still holding apps or quotas. */
export type InstanceDeletion =
  | { readonly kind: 'deleted' }
  | { readonly kind: 'missing' }
  | { readonly kind: Overtaken }
  | { readonly kind: 'not-empty'; readonly apps: number; readonly quotas: number };

/**
 * Deletes an instance that holds nothing, in one conditional DeleteItem. Its `app_num` and
 * `quota_num` are kept in the very transactions that create and delete its apps and quotas (which
 * are themselves conditioned on the instance existing), so `= 0` here means no app, claim, quota or
 * binding is left in its partition, and none can be added after: nothing is ever orphaned.
 */
export const deleteInstance = async (db: Db, projectId: string, instanceId: string): Promise<InstanceDeletion> => {
  const cancelled = await sendNamedTransaction(db, {
    instance: {
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
    projectCount: {
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
  });
  if (!cancelled) return { kind: 'deleted' };
  if (cancelled.overtaken) return { kind: OVERTAKEN };
  if (!cancelled.failed('instance')) throw cancelled.error;
  const item = cancelled.itemOf('instance') as InstanceItem | undefined;
  if (!item) return { kind: 'missing' };
  return { kind: 'not-empty', apps: item.app_num ?? 0, quotas: item.quota_num ?? 0 };
};
