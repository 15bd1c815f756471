/**
 * The DynamoDB requests each benchmarked operation needs, sent directly with the document client:
 * each one built by the store's own builder, so it is the request the store sends, with none of
 * the function around it. The gap between an operation's handler and these is what the service
 * adds: Middy, auth, parsing, validation, use case, store code, views.
 */
import { randomUUID } from 'node:crypto';
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TimeUnit } from '#domain/quota.ts';
import { bindingStateQuery, bindTransactions } from '#store/control-plane/binding-store.ts';
import { createQuotaActions, getQuotaInput } from '#store/control-plane/quota-store.ts';
import { usageCounterKeys } from '#store/control-plane/usage-store.ts';
import { consumeInWindowInput } from '#store/data-plane/counter-store.ts';
import { type AppItem, appFromItem } from '#store/items/app-item.ts';
import { type QuotaItem, versionedQuotaFromItem } from '#store/items/quota-item.ts';
import {
  batchGetInput,
  type Db,
  getItemInput,
  namedActionItems,
  queryPageInput,
  type TransactItem,
  transactionInput,
} from '#store/table/db.ts';
import { appKey, boundToQuotaPrefix } from '#store/table/keys.ts';

/** Where the bench works. */
export interface Scope {
  readonly projectId: string;
  readonly instanceId: string;
}

const transact = (db: Db, items: TransactItem[]) => db.client.send(new TransactWriteCommand(transactionInput(items)));

/** Create quota: one transaction counting it on the instance, putting it and claiming its name. */
export const createQuota = async (
  db: Db,
  scope: Scope,
  quota: { quotaId: string; name: string; callLimits: number; timeUnit: TimeUnit; timeInterval: number },
  maxQuotas: number,
): Promise<void> => {
  const actions = createQuotaActions(
    db,
    { ...scope, ...quota, resetTime: undefined, remark: '', createTime: new Date(), boundAppNum: 0, subcounters: 1 },
    maxQuotas,
  );
  await transact(db, namedActionItems(actions).items);
};

/** Show quota: one strongly consistent GetItem. */
export const getQuota = (db: Db, scope: Scope, quotaId: string) =>
  db.client.send(new GetCommand(getQuotaInput(db, scope.projectId, scope.instanceId, quotaId)));

/**
 * Bind apps, all new: the quota and the apps read in parallel, then the bind's transactions one
 * after the other (one, or the runs of a split bind).
 */
export const bindApps = async (db: Db, scope: Scope, quotaId: string, appIds: readonly string[]): Promise<void> => {
  const { projectId, instanceId } = scope;
  const [quotaOutput, appsOutput] = await Promise.all([
    getQuota(db, scope, quotaId),
    db.client.send(
      new BatchGetCommand(
        batchGetInput(
          db,
          appIds.map((id) => appKey(projectId, instanceId, id)),
        ),
      ),
    ),
  ]);
  const quota = quotaOutput.Item as QuotaItem | undefined;
  const found = (appsOutput.Responses?.[db.tableName] ?? []) as AppItem[];
  if (!quota || found.length !== appIds.length) throw new Error('bare bind: quota or apps missing');
  const boundTime = new Date();
  const { transactions } = bindTransactions(
    db,
    versionedQuotaFromItem(quota),
    found.map(appFromItem),
    [],
    boundTime,
    boundTime.getTime(),
    randomUUID(),
  );
  for (const items of transactions) await transact(db, items);
};

/** List bound apps: the quota and every page of its bound apps (strongly consistent), in parallel. */
export const listBoundApps = async (db: Db, scope: Scope, quotaId: string): Promise<number> => {
  const request = queryPageInput(
    db,
    bindingStateQuery(scope.projectId, scope.instanceId, boundToQuotaPrefix(quotaId)),
    { offset: 0, limit: 20 },
  );
  const readAll = async () => {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const output = await db.client.send(new QueryCommand({ ...request, ExclusiveStartKey: start }));
      count += output.Items?.length ?? 0;
      start = output.LastEvaluatedKey;
    } while (start);
    return count;
  };
  const [, count] = await Promise.all([getQuota(db, scope, quotaId), readAll()]);
  return count;
};

/**
 * Consume in the steady state: one conditional UpdateItem on the credential's main counter, with
 * a fresh request id, as the route sends it.
 */
export const consume = (db: Db, scope: Scope, appKey: string, cost: number) =>
  db.client.send(new UpdateCommand(consumeInWindowInput(db, { ...scope, appKey }, 0, cost, Date.now(), randomUUID())));

/** Usage: the app (strongly consistent) for its key, then its counters (strongly consistent). */
export const getUsage = async (db: Db, scope: Scope, appId: string) => {
  const { Item } = await db.client.send(
    new GetCommand(getItemInput(db, appKey(scope.projectId, scope.instanceId, appId))),
  );
  return db.client.send(new BatchGetCommand(batchGetInput(db, usageCounterKeys(Item as AppItem))));
};
