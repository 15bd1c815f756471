import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { appKeyExists, appNameExists } from '#domain/errors.ts';
import type { App } from '#domain/models.ts';
import type { ListQuery, Page } from '#domain/page.ts';
import { createCounterAction, deleteCounterActions } from '#store/data-plane/counter-store.ts';
import {
  cancellationReasons,
  type Db,
  failedCondition,
  onlyConflicts,
  queryPage,
  sendTransaction,
  transact,
} from '#store/table/db.ts';
import {
  appKey,
  appKeyClaimKey,
  appListKey,
  appNameKey,
  clientTokenKey,
  instancePartition,
  type Key,
  LIST_PREFIX,
  quotaKey,
  unboundAppKey,
} from '#store/table/keys.ts';
import { type ClientTokenRecord, putClientTokenAction } from './client-token-store.ts';
import { countOnInstanceAction, countRefusal, uncountOnInstanceAction } from './instance-store.ts';

/** The stored form of an app. */
export interface AppItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'app';
  readonly lsi1sk: string;
  /** Present while the app is bound to no quota (the bindable-apps order) or bound (bound-apps order). */
  readonly lsi2sk?: string;
  readonly project_id: string;
  readonly instance_id: string;
  readonly app_id: string;
  readonly name: string;
  readonly name_lc: string;
  readonly remark: string;
  readonly status: 1 | 2;
  readonly app_key: string;
  /** Only on the base item: no list projects it. */
  readonly secret_hash?: string;
  readonly register_time: string;
  readonly update_time: string;
  /** The quota the app is bound to, and since when; absent while unbound. */
  readonly quota_id?: string;
  readonly bound_time?: string;
  /**
   * How many sub-counters the app's credential has (1 unbound, the quota's count while bound), so
   * that an unbind or a delete reaches each of them. Every item written by this layout has it; an
   * app item without it is of the layout before counters, which `migrateApp` moves.
   */
  readonly subcounters?: number;
  /**
   * The client token its create's answer is recorded under, while that answer holds its secret:
   * a delete removes the record with the app, a secret reset drops it (see `replaceAppSecret`).
   */
  readonly client_token?: string;
}

const toItem = (app: App, secretHash: string, clientToken?: string): AppItem => ({
  ...appKey(app.projectId, app.instanceId, app.appId),
  type: 'app',
  lsi1sk: appListKey(app.name, app.appId),
  lsi2sk: unboundAppKey(app.name, app.appId),
  project_id: app.projectId,
  instance_id: app.instanceId,
  app_id: app.appId,
  name: app.name,
  name_lc: app.name.toLowerCase(),
  remark: app.remark,
  status: app.status,
  app_key: app.appKey,
  secret_hash: secretHash,
  register_time: app.registerTime.toISOString(),
  update_time: app.updateTime.toISOString(),
  subcounters: 1,
  ...(clientToken === undefined ? {} : { client_token: clientToken }),
});

/** The domain form of a stored app. */
export const appFromItem = (item: AppItem): App => ({
  projectId: item.project_id,
  instanceId: item.instance_id,
  appId: item.app_id,
  name: item.name,
  remark: item.remark,
  status: item.status,
  appKey: item.app_key,
  registerTime: new Date(item.register_time),
  updateTime: new Date(item.update_time),
});

/** How a create of an app ended, short of a refusal (which is thrown). */
export type CreateAppResult = 'created' | 'overtaken' | 'token-taken';

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
  const TOKEN = 5;
  try {
    await sendTransaction(db, [
      countOnInstanceAction(db, projectId, instanceId, 'app_num', maxApps),
      {
        Put: {
          TableName: db.tableName,
          Item: toItem(app, secretHash, answer?.record.token),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      claim(appNameKey(projectId, instanceId, app.name), { type: 'app-name' }),
      claim(appKeyClaimKey(projectId, instanceId, app.appKey), { type: 'app-key' }),
      createCounterAction(db, app),
      ...(answer ? [putClientTokenAction(db, answer.record, answer.nowSeconds)] : []),
    ]);
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (!reasons) throw error;
    if (answer && failedCondition(reasons, TOKEN)) return 'token-taken';
    if (failedCondition(reasons, 0)) throw countRefusal(reasons[0], instanceId);
    if (failedCondition(reasons, 2)) throw appNameExists(app.name, instanceId);
    if (failedCondition(reasons, 3)) throw appKeyExists(instanceId);
    if (onlyConflicts(reasons)) return 'overtaken';
    throw error;
  }
  return 'created';
};

/** An app item as stored (strongly consistent), undefined when absent. */
export const getAppItem = async (db: Db, projectId: string, instanceId: string, appId: string) => {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: appKey(projectId, instanceId, appId), ConsistentRead: true }),
  );
  return Item as AppItem | undefined;
};

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
export type DeleteOutcome = 'deleted' | 'missing' | 'conflict';

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
  return done ? 'deleted' : 'conflict';
};
