import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Window } from '../domain/window.ts';
import type { AppItem } from './app-store.ts';
import type { Db } from './db.ts';
import { appKey, appKeyClaimKey } from './keys.ts';

/** What one conditional consume found. */
export type ConsumeAttempt =
  | { readonly kind: 'admitted'; readonly item: AppItem }
  /** The window is open and has fewer than `cost` units left. */
  | { readonly kind: 'refused'; readonly item: AppItem }
  /** No window is open (never, or it ended): the caller opens the current one. */
  | { readonly kind: 'no-window'; readonly item: AppItem }
  | { readonly kind: 'unbound'; readonly item: AppItem }
  /** No app with this id (and key) any more. */
  | { readonly kind: 'missing' }
  /**
   * Not decided: a transaction held the item, or the item as it was would pass. Read the
   * situation again; never reopen an open window on such an answer.
   */
  | { readonly kind: 'again' };

/** The app id an app key belongs to in an instance, from its claim (strongly consistent). */
export const findAppIdByKey = async (
  db: Db,
  projectId: string,
  instanceId: string,
  key: string,
): Promise<string | undefined> => {
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: appKeyClaimKey(projectId, instanceId, key),
      ConsistentRead: true,
      ProjectionExpression: 'app_id',
    }),
  );
  return typeof Item?.app_id === 'string' ? Item.app_id : undefined;
};

const classify = (
  item: AppItem | undefined,
  key: string,
  cost: number,
  nowMs: number,
  requestId: string,
): ConsumeAttempt => {
  if (!item || item.app_key !== key) return { kind: 'missing' };
  // An earlier attempt of this very call took the units and its answer was lost: the SDK retried.
  if (item.last_consume === requestId) return { kind: 'admitted', item };
  if (!item.quota_id) return { kind: 'unbound', item };
  if (!(item.window_end_ms !== undefined && item.window_end_ms > nowMs)) return { kind: 'no-window', item };
  if ((item.remaining ?? 0) < cost) return { kind: 'refused', item };
  return { kind: 'again' };
};

/** A single-item write refused because a transaction was changing the item at that moment. */
const isTransactionConflict = (error: unknown): boolean => error instanceof TransactionConflictException;

const oldItemOf = (error: unknown): AppItem | undefined => {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
  return error.Item ? (unmarshall(error.Item) as AppItem) : undefined;
};

/**
 * The hot path: ONE conditional UpdateItem that takes `cost` units from the app's open window if
 * it is bound, its window is open at `nowMs` and at least `cost` units are left. When it is not
 * admitted, the item as it was comes back with the refusal (no second read) and says why. The
 * call's `requestId` is written with the units, so a retry of a write that landed is recognised
 * and not counted twice.
 */
export const consumeInWindow = async (
  db: Db,
  ids: { readonly projectId: string; readonly instanceId: string; readonly appId: string },
  key: string,
  cost: number,
  nowMs: number,
  requestId: string,
): Promise<ConsumeAttempt> => {
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: appKey(ids.projectId, ids.instanceId, ids.appId),
        UpdateExpression: 'SET remaining = remaining - :cost, last_consume = :request',
        ConditionExpression:
          'app_key = :key AND attribute_exists(quota_id) AND window_end_ms > :now AND remaining >= :cost AND ' +
          '(attribute_not_exists(last_consume) OR last_consume <> :request)',
        ExpressionAttributeValues: { ':cost': cost, ':key': key, ':now': nowMs, ':request': requestId },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { kind: 'admitted', item: Attributes as AppItem };
  } catch (error) {
    if (isTransactionConflict(error)) return { kind: 'again' };
    return classify(oldItemOf(error), key, cost, nowMs, requestId);
  }
};

/** What opening a window came to. */
export type OpenWindowOutcome =
  | { readonly kind: 'admitted'; readonly item: AppItem }
  /** `cost` is more than the whole limit: refused, and no window opens for a call that is not counted. */
  | { readonly kind: 'refused'; readonly item: AppItem }
  /** Someone else changed the app first (opened the window, rebound it...): read the situation again. */
  | { readonly kind: 'overtaken' };

/**
 * Opens `window` with this call counted in it, conditioned on the app's binding, settings and
 * window being those of `item`, so that of two calls racing to open it, one opens it and the
 * other takes from it.
 */
export const openWindow = async (
  db: Db,
  item: AppItem,
  window: Window,
  cost: number,
  requestId: string,
): Promise<OpenWindowOutcome> => {
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET window_end_ms = :end, remaining = limit_units - :cost, last_consume = :request',
        ConditionExpression:
          'quota_id = :quota AND config_version = :version AND limit_units >= :cost AND ' +
          (item.window_end_ms === undefined ? 'attribute_not_exists(window_end_ms)' : 'window_end_ms = :oldEnd'),
        ExpressionAttributeValues: {
          ':request': requestId,
          ':end': window.end,
          ':cost': cost,
          ':quota': item.quota_id,
          ':version': item.config_version,
          ...(item.window_end_ms === undefined ? {} : { ':oldEnd': item.window_end_ms }),
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { kind: 'admitted', item: Attributes as AppItem };
  } catch (error) {
    if (isTransactionConflict(error)) return { kind: 'overtaken' };
    const old = oldItemOf(error);
    if (old?.last_consume === requestId) return { kind: 'admitted', item: old };
    const unchanged =
      old?.quota_id === item.quota_id &&
      old?.config_version === item.config_version &&
      old?.window_end_ms === item.window_end_ms;
    return unchanged && old && (old.limit_units ?? 0) < cost ? { kind: 'refused', item: old } : { kind: 'overtaken' };
  }
};

/** The app's item as the usage route reads it (strongly consistent), counters included. */
export const getAppUsage = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appId: string,
): Promise<AppItem | undefined> => {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: appKey(projectId, instanceId, appId), ConsistentRead: true }),
  );
  return Item as AppItem | undefined;
};
