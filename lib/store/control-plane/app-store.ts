import { appKeyExists, appNameExists } from '#domain/errors.ts';
import type { App } from '#domain/models.ts';
import { OVERTAKEN, type Overtaken } from '#domain/overtaken.ts';
import type { ListQuery, Page } from '#domain/page.ts';
import { type AppItem, appFromItem, appItemOf } from '#store/items/app-item.ts';
import { type ClientTokenRecord, putClientTokenAction } from '#store/items/client-token-item.ts';
import { createCounterAction, deleteCounterActions } from '#store/items/counter-item.ts';
import { countOnInstanceAction, countRefusal, uncountOnInstanceAction } from '#store/items/instance-item.ts';
import { type Db, getItem, queryPage, sendNamedTransaction, transact } from '#store/table/db.ts';
import {
  appKey,
  appKeyClaimKey,
  appNameKey,
  clientTokenKey,
  instancePartition,
  type Key,
  LIST_PREFIX,
  quotaKey,
} from '#store/table/keys.ts';

/** How a create of an app ended, short of a refusal (which is thrown). */
export type CreateAppResult = 'created' | Overtaken | 'token-taken';

/**
 * Stores a new app in one transaction: counts it on its instance (which must exist and be under
 * `maxApps`), claims its name and its `app_key` within the instance, creates its counter and, when
 * given, records its answer under the request's client token. DynamoDB's conditions, not a prior
 * read, decide every conflict. `overtaken` when a concurrent transaction on the instance cancelled it
 * without any condition failing: the caller tries again. `token-taken` when the client token already
 * holds a record: this request, or another under the same token, landed first, and that record is
 * the answer, whatever else the cancellation says (the app it made holds the name now).
 */
export const createApp = async (
  db: Db,
  app: App,
  secretHash: string,
  maxApps: number,
  answer?: { readonly record: ClientTokenRecord; readonly nowSeconds: number },
): Promise<CreateAppResult> => {
  const { projectId, instanceId } = app;
  const claim = (key: Key, rest: Record<string, unknown>) => ({
    Put: {
      TableName: db.tableName,
      Item: { ...key, ...rest, app_id: app.appId },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  });
  const cancelled = await sendNamedTransaction(db, {
    instanceCount: countOnInstanceAction(db, projectId, instanceId, 'app_num', maxApps),
    app: {
      Put: {
        TableName: db.tableName,
        Item: appItemOf(app, secretHash, answer?.record.token),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    nameClaim: claim(appNameKey(projectId, instanceId, app.name), { type: 'app-name' }),
    keyClaim: claim(appKeyClaimKey(projectId, instanceId, app.appKey), { type: 'app-key' }),
    counter: createCounterAction(db, app),
    ...(answer ? { clientToken: putClientTokenAction(db, answer.record, answer.nowSeconds) } : {}),
  });
  if (!cancelled) return 'created';
  if (cancelled.failed('clientToken')) return 'token-taken';
  if (cancelled.failed('instanceCount')) throw countRefusal(cancelled.itemOf('instanceCount'), instanceId);
  if (cancelled.failed('nameClaim')) throw appNameExists(app.name, instanceId);
  if (cancelled.failed('keyClaim')) throw appKeyExists(instanceId);
  if (cancelled.overtaken) return OVERTAKEN;
  throw cancelled.error;
};

/** An app item as stored (strongly consistent), undefined when absent. */
export const getAppItem = (db: Db, projectId: string, instanceId: string, appId: string) =>
  getItem<AppItem>(db, appKey(projectId, instanceId, appId));

/** The app, if it exists in this instance. */
export const getApp = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appId: string,
): Promise<App | undefined> => {
  const item = await getAppItem(db, projectId, instanceId, appId);
  return item ? appFromItem(item) : undefined;
};

/** What list apps filters by, besides the name (SPEC §5, as the vendor's ListAppsV2). */
export interface AppListQuery extends ListQuery {
  readonly id?: string | undefined;
  readonly appKey?: string | undefined;
  readonly status?: number | undefined;
  /** `precise_search=name`: the name matches exactly (case-sensitive, as uniqueness) instead of as a substring. */
  readonly exactName?: boolean;
}

/** An app as list apps shows it: with `bindNum`, the quotas it is bound to (0 or 1). */
export type ListedApp = App & { readonly bindNum: number };

/** A page of the instance's apps by name, filtered by name, id, app_key and status. */
export const listApps = async (
  db: Db,
  projectId: string,
  instanceId: string,
  query: AppListQuery,
): Promise<Page<ListedApp>> => {
  const filters: string[] = [];
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  const equal = (attribute: string, value: unknown) => {
    if (value === undefined) return;
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = value;
    filters.push(`#${attribute} = :${attribute}`);
  };
  equal('app_id', query.id);
  equal('app_key', query.appKey);
  equal('status', query.status);
  if (query.exactName) equal('name', query.name);
  const page = await queryPage<AppItem>(
    db,
    {
      IndexName: 'lsi1',
      KeyConditionExpression: 'pk = :pk AND begins_with(lsi1sk, :prefix)',
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: {
        ':pk': instancePartition(projectId, instanceId),
        ':prefix': LIST_PREFIX.app,
        ...values,
      },
    },
    query.exactName ? { ...query, name: undefined } : query,
  );
  return {
    total: page.total,
    items: page.items.map((item) => ({ ...appFromItem(item), bindNum: item.quota_id === undefined ? 0 : 1 })),
  };
};

/** How an app delete ended: done, nothing to delete, or overtaken by a concurrent change. */
export type DeleteOutcome = 'deleted' | 'missing' | Overtaken;

/**
 * Deletes an app with its name and key claims and its counters, and uncounts it from its instance and from the
 * quota it is bound to, in one transaction conditioned on the app's binding being as it was read.
 */
export const deleteApp = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appId: string,
): Promise<DeleteOutcome> => {
  const item = await getAppItem(db, projectId, instanceId, appId);
  if (!item) return 'missing';
  const done = await transact(db, [
    {
      Delete: {
        TableName: db.tableName,
        Key: appKey(projectId, instanceId, appId),
        // The name too: a bound app's lsi2sk does not hold it, and a rename between the read and
        // this write would leave the new name's claim behind, pointing at no app.
        ConditionExpression: 'attribute_exists(pk) AND lsi2sk = :binding AND #name = :name',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: { ':binding': item.lsi2sk, ':name': item.name },
      },
    },
    { Delete: { TableName: db.tableName, Key: appNameKey(projectId, instanceId, item.name) } },
    { Delete: { TableName: db.tableName, Key: appKeyClaimKey(projectId, instanceId, item.app_key) } },
    uncountOnInstanceAction(db, projectId, instanceId, 'app_num'),
    ...(item.client_token
      ? [{ Delete: { TableName: db.tableName, Key: clientTokenKey(projectId, item.client_token) } }]
      : []),
    ...deleteCounterActions(db, { ...appFromItem(item), projectId, instanceId }, item.subcounters ?? 1),
    ...(item.quota_id
      ? [
          {
            Update: {
              TableName: db.tableName,
              Key: quotaKey(projectId, instanceId, item.quota_id),
              UpdateExpression: 'ADD bound_app_num :minus',
              ExpressionAttributeValues: { ':minus': -1 },
            },
          },
        ]
      : []),
  ]);
  return done ? 'deleted' : OVERTAKEN;
};
