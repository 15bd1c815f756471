/**
 * The DynamoDB requests each benchmarked operation needs, sent directly with the document client:
 * the same commands, expressions and options the store sends (checked at run time against the
 * store's own requests, see `shapeOf`), with none of the function around them. The gap between an
 * operation's handler and these is what the service adds: Middy, auth, parsing, validation, use
 * case, store code, views.
 */
import { randomUUID } from 'node:crypto';
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type TimeUnit, windowLengthMs } from '#domain/quota.ts';
import type { Db, TransactItem } from '#store/table/db.ts';
import {
  appKey,
  bindOperationKey,
  boundAppKey,
  boundToQuotaPrefix,
  counterKey,
  instanceKey,
  instancePartition,
  quotaKey,
  quotaListKey,
  quotaNameKey,
} from '#store/table/keys.ts';

/** Where the bench works. */
export interface Scope {
  readonly projectId: string;
  readonly instanceId: string;
}

// Every transaction carries an idempotency token, as the store's do (a retried one is not run twice).
const transact = (db: Db, items: TransactItem[]) =>
  db.client.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: randomUUID() }));

/** Create quota: one transaction counting it on the instance, putting it and claiming its name. */
export const createQuota = async (
  db: Db,
  scope: Scope,
  quota: { quotaId: string; name: string; callLimits: number; timeUnit: TimeUnit; timeInterval: number },
  maxQuotas: number,
): Promise<void> => {
  const { projectId, instanceId } = scope;
  const now = new Date();
  await db.client.send(
    new TransactWriteCommand({
      ClientRequestToken: randomUUID(),
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
        {
          Put: {
            TableName: db.tableName,
            Item: {
              ...quotaKey(projectId, instanceId, quota.quotaId),
              type: 'quota',
              lsi1sk: quotaListKey(now, quota.quotaId),
              project_id: projectId,
              instance_id: instanceId,
              quota_id: quota.quotaId,
              name: quota.name,
              name_lc: quota.name.toLowerCase(),
              call_limits: quota.callLimits,
              time_unit: quota.timeUnit,
              time_interval: quota.timeInterval,
              remark: '',
              create_time: now.toISOString(),
              bound_app_num: 0,
              config_version: 1,
              subcounters: 1,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
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
};

/** Show quota: one strongly consistent GetItem. */
export const getQuota = (db: Db, scope: Scope, quotaId: string) =>
  db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: quotaKey(scope.projectId, scope.instanceId, quotaId),
      ConsistentRead: true,
    }),
  );

/**
 * Bind apps, all new: the quota and the apps read in parallel, then per app its item and its
 * counter, with the quota's count, in one transaction; past 49 apps (99 actions) it is split as
 * the store splits it: runs of 49 with a record of the bind put by the first, checked by the
 * middle ones and deleted by the last.
 */
export const bindApps = async (db: Db, scope: Scope, quotaId: string, appIds: readonly string[]): Promise<void> => {
  const { projectId, instanceId } = scope;
  const [quotaOutput, appsOutput] = await Promise.all([
    getQuota(db, scope, quotaId),
    db.client.send(
      new BatchGetCommand({
        RequestItems: {
          [db.tableName]: {
            Keys: appIds.map((id) => ({ ...appKey(projectId, instanceId, id) })),
            ConsistentRead: true,
          },
        },
      }),
    ),
  ]);
  const quota = quotaOutput.Item;
  const found = appsOutput.Responses?.[db.tableName] ?? [];
  if (!quota || found.length !== appIds.length) throw new Error('bare bind: quota or apps missing');
  const version = quota.config_version as number;
  const boundTime = new Date();
  const bindId = randomUUID();
  const countAction = (delta: number, pending?: 'add' | 'remove'): TransactItem => ({
    Update: {
      TableName: db.tableName,
      Key: quotaKey(projectId, instanceId, quotaId),
      UpdateExpression:
        'ADD bound_app_num :delta' +
        (pending === 'add' ? ', pending_binds :bind' : '') +
        (pending === 'remove' ? ' DELETE pending_binds :bind' : ''),
      ConditionExpression: 'attribute_exists(pk) AND config_version = :version AND attribute_not_exists(deleting)',
      ExpressionAttributeValues: {
        ':delta': delta,
        ':version': version,
        ...(pending ? { ':bind': new Set([bindId]) } : {}),
      },
    },
  });
  const binds: TransactItem[][] = found.map((app) => [
    {
      Update: {
        TableName: db.tableName,
        Key: appKey(projectId, instanceId, app.app_id as string),
        UpdateExpression:
          'SET quota_id = :quota, bound_time = :time, lsi2sk = :binding, subcounters = :subcounters, bind_id = :bind',
        ConditionExpression: 'attribute_exists(subcounters) AND attribute_not_exists(quota_id)',
        ExpressionAttributeValues: {
          ':quota': quotaId,
          ':time': boundTime.toISOString(),
          ':binding': boundAppKey(quotaId, boundTime, app.app_id as string),
          ':subcounters': 1,
          ':bind': bindId,
        },
      },
    },
    {
      Put: {
        TableName: db.tableName,
        Item: {
          ...counterKey(projectId, instanceId, app.app_key as string),
          type: 'counter',
          app_id: app.app_id,
          subcounter: 0,
          subcounters: 1,
          quota_id: quotaId,
          call_limits: quota.call_limits,
          limit_units: quota.call_limits,
          window_ms: windowLengthMs({
            timeUnit: quota.time_unit as TimeUnit,
            timeInterval: quota.time_interval as number,
          }),
          config_version: version,
        },
        ConditionExpression: 'app_id = :app AND attribute_not_exists(quota_id)',
        ExpressionAttributeValues: { ':app': app.app_id },
      },
    },
  ]);
  if (binds.length <= 49) {
    await transact(db, [countAction(binds.length), ...binds.flat()]);
    return;
  }
  const recordKey = bindOperationKey(projectId, instanceId, bindId);
  const live = 'attribute_exists(pk) AND attribute_not_exists(undoing)';
  const runs: TransactItem[][][] = [];
  for (let start = 0; start < binds.length; start += 49) runs.push(binds.slice(start, start + 49));
  for (const [index, run] of runs.entries()) {
    const first = index === 0;
    const last = index === runs.length - 1;
    const record: TransactItem = first
      ? {
          Put: {
            TableName: db.tableName,
            Item: {
              ...recordKey,
              type: 'bind-operation',
              project_id: projectId,
              instance_id: instanceId,
              bind_id: bindId,
              quota_id: quotaId,
              app_ids: [...appIds],
              start_ms: boundTime.getTime(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        }
      : last
        ? { Delete: { TableName: db.tableName, Key: recordKey, ConditionExpression: live } }
        : { ConditionCheck: { TableName: db.tableName, Key: recordKey, ConditionExpression: live } };
    await transact(db, [countAction(run.length, first ? 'add' : last ? 'remove' : undefined), record, ...run.flat()]);
  }
};

/** List bound apps: the quota and every page of its bound apps (strongly consistent), in parallel. */
export const listBoundApps = async (db: Db, scope: Scope, quotaId: string): Promise<number> => {
  const readAll = async () => {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const output = await db.client.send(
        new QueryCommand({
          IndexName: 'lsi2',
          KeyConditionExpression: 'pk = :pk AND begins_with(lsi2sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': instancePartition(scope.projectId, scope.instanceId),
            ':prefix': boundToQuotaPrefix(quotaId),
          },
          TableName: db.tableName,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      count += output.Items?.length ?? 0;
      start = output.LastEvaluatedKey;
    } while (start);
    return count;
  };
  const [, count] = await Promise.all([getQuota(db, scope, quotaId), readAll()]);
  return count;
};

/**
 * Consume in the steady state: one conditional UpdateItem on the credential's counter, addressed
 * by its key, old item back on refusal, the call's request id written with the units (so that an
 * SDK retry of a landed write is not counted twice).
 */
export const consume = (db: Db, scope: Scope, key: string, cost: number) =>
  db.client.send(
    new UpdateCommand({
      TableName: db.tableName,
      Key: counterKey(scope.projectId, scope.instanceId, key),
      UpdateExpression: 'SET remaining = remaining - :cost, last_consume = :request',
      ConditionExpression:
        'attribute_exists(quota_id) AND window_end_ms > :now AND remaining >= :cost AND ' +
        '(attribute_not_exists(last_consume) OR last_consume <> :request)',
      ExpressionAttributeValues: { ':cost': cost, ':now': Date.now(), ':request': randomUUID() },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }),
  );

/** Usage: the app (strongly consistent) for its key, then its counters (strongly consistent). */
export const getUsage = async (db: Db, scope: Scope, appId: string) => {
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: appKey(scope.projectId, scope.instanceId, appId),
      ConsistentRead: true,
    }),
  );
  return db.client.send(
    new BatchGetCommand({
      RequestItems: {
        [db.tableName]: {
          Keys: [counterKey(scope.projectId, scope.instanceId, Item?.app_key as string)],
          ConsistentRead: true,
        },
      },
    }),
  );
};
