import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { appNameExists } from '#domain/errors.ts';
import type { App } from '#domain/models.ts';
import { OVERTAKEN, type Overtaken } from '#domain/overtaken.ts';
import { type AppItem, appFromItem } from '#store/items/app-item.ts';
import { type Db, sendNamedTransaction } from '#store/table/db.ts';
import { appKey, appListKey, appNameKey, clientTokenKey, unboundAppKey } from '#store/table/keys.ts';
import { moveNameClaimActions } from '#store/table/name-claims.ts';
import { getAppItem } from './app-store.ts';

/** How an app update ended: the app as it now is, no such app, or overtaken by a concurrent change. */
export type UpdateOutcome = App | 'missing' | Overtaken;

/** What an app update changes. */
export interface AppChanges {
  readonly name: string;
  readonly remark: string;
  readonly updateTime: Date;
}

/**
 * Renames an app and sets its remark. A new name moves the name claim (the old one deleted, the
 * new one put `attribute_not_exists`) and the app's listing keys in one transaction, conditioned
 * on the name and binding the app had when read, so a concurrent rename or bind makes it read
 * again; the same name is one conditional update.
 */
export const updateApp = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appId: string,
  changes: AppChanges,
): Promise<UpdateOutcome> => {
  const item = await getAppItem(db, projectId, instanceId, appId);
  if (!item) return 'missing';
  const renamed = item.name !== changes.name;
  const bound = item.quota_id !== undefined;
  const update = {
    TableName: db.tableName,
    Key: appKey(projectId, instanceId, appId),
    UpdateExpression: `SET #name = :name, name_lc = :name_lc, remark = :remark, update_time = :time, lsi1sk = :lsi1sk${
      bound ? '' : ', lsi2sk = :lsi2sk'
    }`,
    ConditionExpression: `#name = :old AND ${bound ? 'quota_id = :quota' : 'attribute_not_exists(quota_id)'}`,
    ExpressionAttributeNames: { '#name': 'name' },
    ExpressionAttributeValues: {
      ':name': changes.name,
      ':name_lc': changes.name.toLowerCase(),
      ':remark': changes.remark,
      ':time': changes.updateTime.toISOString(),
      ':lsi1sk': appListKey(changes.name, appId),
      ':old': item.name,
      ...(bound ? { ':quota': item.quota_id } : { ':lsi2sk': unboundAppKey(changes.name, appId) }),
    },
  };
  const updated = {
    ...appFromItem(item),
    name: changes.name,
    remark: changes.remark,
    updateTime: changes.updateTime,
  };
  if (!renamed) {
    try {
      await db.client.send(new UpdateCommand(update));
      return updated;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return OVERTAKEN;
      throw error;
    }
  }
  const cancelled = await sendNamedTransaction(db, {
    app: { Update: update },
    ...moveNameClaimActions(
      db.tableName,
      appNameKey(projectId, instanceId, item.name),
      appNameKey(projectId, instanceId, changes.name),
      'app-name',
      { attribute: 'app_id', id: appId },
    ),
  });
  if (!cancelled) return updated;
  if (cancelled.failed('newNameClaim')) throw appNameExists(changes.name, instanceId);
  if (cancelled.failed('app') || cancelled.failed('oldNameClaim') || cancelled.overtaken) return OVERTAKEN;
  throw cancelled.error;
};

/**
 * Replaces an app's secret hash and drops the record of its create's answer, conditioned on the
 * app being as read (`readUpdateTime`): a reset sent earlier and landing late (a stalled DynamoDB)
 * cannot overwrite the secret a later reset gave out. The app as it now is, `'missing'`, or
 * {@link OVERTAKEN} when it changed since it was read.
 */
export const replaceAppSecret = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appId: string,
  secret: { readonly hash: string; readonly readUpdateTime: Date },
  updateTime: Date,
): Promise<UpdateOutcome> => {
  let before: AppItem;
  try {
    // The old item: its client token names the record of the create's answer, which holds the
    // secret this reset replaces and must not be given out again.
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: appKey(projectId, instanceId, appId),
        UpdateExpression: 'SET secret_hash = :hash, update_time = :time REMOVE client_token',
        ConditionExpression: 'update_time = :read',
        ExpressionAttributeValues: {
          ':hash': secret.hash,
          ':time': updateTime.toISOString(),
          ':read': secret.readUpdateTime.toISOString(),
        },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    before = Attributes as AppItem;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return error.Item ? OVERTAKEN : 'missing';
    throw error;
  }
  if (before.client_token) {
    // A second request, not one transaction: should it fail, the record is stale all the same,
    // and a repeat of the create finds the app no longer holds its token (see create app).
    await db.client.send(
      new DeleteCommand({ TableName: db.tableName, Key: clientTokenKey(projectId, before.client_token) }),
    );
  }
  return { ...appFromItem(before), updateTime };
};
