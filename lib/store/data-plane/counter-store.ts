import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isThrottlingError } from '@smithy/core/retry';
import { OVERTAKEN, type Overtaken } from '#domain/overtaken.ts';
import type { Window } from '#domain/window.ts';
import { type CounterItem, type Credential, credentialCounterKey } from '#store/items/counter-item.ts';
import type { Db } from '#store/table/db.ts';
import { appKeyClaimKey } from '#store/table/keys.ts';

/** What one conditional consume found. */
export type ConsumeAttempt =
  | { readonly kind: 'admitted'; readonly item: CounterItem }
  /** The window is open and this counter has fewer than `cost` units left. */
  | { readonly kind: 'refused'; readonly item: CounterItem }
  /** No window is open on this counter (never, or it ended): the caller opens the current one. */
  | { readonly kind: 'no-window'; readonly item: CounterItem }
  | { readonly kind: 'unbound'; readonly item: CounterItem }
  /** No such counter: no app with this key, a sub-counter that is not there, or a table not yet migrated. */
  | { readonly kind: 'missing' }
  /** DynamoDB throttled this counter's partition past the SDK's retries: another sub-counter may take the call. */
  | { readonly kind: 'throttled'; readonly error: unknown }
  /**
   * Not decided: a transaction held the item, or the item as it was would pass. Read the
   * situation again; never reopen an open window on such an answer.
   */
  | { readonly kind: Overtaken };

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

const classify = (item: CounterItem | undefined, cost: number, nowMs: number, requestId: string): ConsumeAttempt => {
  if (!item) return { kind: 'missing' };
  // An earlier attempt of this very call took the units and its answer was lost: the SDK retried.
  if (item.last_consume === requestId) return { kind: 'admitted', item };
  if (!item.quota_id) return { kind: 'unbound', item };
  if (!(item.window_end_ms !== undefined && item.window_end_ms > nowMs)) return { kind: 'no-window', item };
  if ((item.remaining ?? 0) < cost) return { kind: 'refused', item };
  return { kind: OVERTAKEN };
};

/** A single-item write refused because a transaction was changing the item at that moment. */
const isTransactionConflict = (error: unknown): boolean => error instanceof TransactionConflictException;

const oldItemOf = (error: unknown): CounterItem | undefined => {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
  return error.Item ? (unmarshall(error.Item) as CounterItem) : undefined;
};

/**
 * The hot path's one request: a conditional UpdateItem that takes `cost` units from sub-counter
 * `index` of a credential if it is bound, its window is open at `nowMs` and at least `cost` units
 * are left, writing the call's `requestId` with the units; the item comes back either way (as it
 * is now when admitted, as it was when refused).
 */
export const consumeInWindowInput = (
  db: Db,
  credential: Credential,
  index: number,
  cost: number,
  nowMs: number,
  requestId: string,
): UpdateCommandInput => ({
  TableName: db.tableName,
  Key: credentialCounterKey(credential, index),
  UpdateExpression: 'SET remaining = remaining - :cost, last_consume = :request',
  ConditionExpression:
    'attribute_exists(quota_id) AND window_end_ms > :now AND remaining >= :cost AND ' +
    '(attribute_not_exists(last_consume) OR last_consume <> :request)',
  ExpressionAttributeValues: { ':cost': cost, ':now': nowMs, ':request': requestId },
  ReturnValues: 'ALL_NEW',
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});

/**
 * The hot path: ONE conditional UpdateItem ({@link consumeInWindowInput}) that takes `cost` units
 * from a counter's open window if it is bound, its window is open at `nowMs` and at least `cost`
 * units are left. When it is not admitted, the item as it was comes back with the refusal (no
 * second read) and says why. The call's `requestId` is written with the units, so a retry of a
 * write that landed is recognised and not counted twice.
 */
export const consumeInWindow = async (
  db: Db,
  credential: Credential,
  index: number,
  cost: number,
  nowMs: number,
  requestId: string,
): Promise<ConsumeAttempt> => {
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand(consumeInWindowInput(db, credential, index, cost, nowMs, requestId)),
    );
    return { kind: 'admitted', item: Attributes as CounterItem };
  } catch (error) {
    if (isTransactionConflict(error)) return { kind: OVERTAKEN };
    if (isThrottlingError(error as Parameters<typeof isThrottlingError>[0])) return { kind: 'throttled', error };
    return classify(oldItemOf(error), cost, nowMs, requestId);
  }
};

/** What opening a window came to. */
export type OpenWindowOutcome =
  | { readonly kind: 'admitted'; readonly item: CounterItem }
  /** `cost` is more than this counter's whole share: refused, and no window opens for a call that is not counted. */
  | { readonly kind: 'refused'; readonly item: CounterItem }
  /** Someone else changed the counter first (opened the window, rebound it...): read the situation again. */
  | { readonly kind: Overtaken };

/**
 * Opens `window` on a counter with this call counted in it, conditioned on the counter's binding,
 * settings and window being those of `item`, so that of two calls racing to open it, one opens it
 * and the other takes from it.
 */
export const openWindow = async (
  db: Db,
  item: CounterItem,
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
    return { kind: 'admitted', item: Attributes as CounterItem };
  } catch (error) {
    if (isTransactionConflict(error)) return { kind: OVERTAKEN };
    const old = oldItemOf(error);
    if (old?.last_consume === requestId) return { kind: 'admitted', item: old };
    const unchanged =
      old?.quota_id === item.quota_id &&
      old?.config_version === item.config_version &&
      old?.window_end_ms === item.window_end_ms;
    return unchanged && old && (old.limit_units ?? 0) < cost ? { kind: 'refused', item: old } : { kind: OVERTAKEN };
  }
};

/** Sub-counter `index` of a credential, strongly consistent. */
export const getCounter = async (db: Db, credential: Credential, index = 0): Promise<CounterItem | undefined> => {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: credentialCounterKey(credential, index), ConsistentRead: true }),
  );
  return Item as CounterItem | undefined;
};
