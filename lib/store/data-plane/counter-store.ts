import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isThrottlingError } from '@smithy/core/retry';
import type { App } from '#domain/models.ts';
import { type Quota, windowLengthMs } from '#domain/quota.ts';
import { subcounterShare } from '#domain/subcounters.ts';
import type { Window } from '#domain/window.ts';
import { appFromItem, getAppItem } from '#store/control-plane/app-store.ts';
import { isLegacyApp, migrateApp } from '#store/migration/migration-store.ts';
import { batchGet, type Db, type TransactItem } from '#store/table/db.ts';
import { appKeyClaimKey, counterKey, type Key } from '#store/table/keys.ts';

/**
 * The stored form of a counter: sub-counter `subcounter` of one credential, the only item consume
 * writes. It carries what consume needs and nothing an index projects (no `lsi1sk`/`lsi2sk`, no
 * name or remark), so it stays far under 1 KB: every write of it is 1 WCU.
 */
export interface CounterItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'counter';
  readonly app_id: string;
  /** Which sub-counter this is (0: the main one, which every app has). */
  readonly subcounter: number;
  /** While bound: how many sub-counters the credential's window is spread over. */
  readonly subcounters?: number;
  /** The bound quota and a copy of its settings, kept in step by the binding and quota transactions. */
  readonly quota_id?: string;
  /** The quota's whole limit, as answers show it. */
  readonly call_limits?: number;
  /** This sub-counter's share of the limit. */
  readonly limit_units?: number;
  readonly window_ms?: number;
  readonly anchor_ms?: number;
  readonly config_version?: number;
  /** Usage in the current window. */
  readonly window_end_ms?: number;
  readonly remaining?: number;
  /** The id of the last counted consume, so that an SDK retry of it is not counted again. */
  readonly last_consume?: string;
}

/** A quota's settings as counters copy them, at a settings version. */
export interface CounterSettings {
  readonly quota: Quota;
  readonly configVersion: number;
}

/** A credential as a consume call names it. */
export interface Credential {
  readonly projectId: string;
  readonly instanceId: string;
  readonly appKey: string;
}

const keyOf = ({ projectId, instanceId, appKey }: Credential, index: number): Key =>
  counterKey(projectId, instanceId, appKey, index);

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

const classify = (item: CounterItem | undefined, cost: number, nowMs: number, requestId: string): ConsumeAttempt => {
  if (!item) return { kind: 'missing' };
  // An earlier attempt of this very call took the units and its answer was lost: the SDK retried.
  if (item.last_consume === requestId) return { kind: 'admitted', item };
  if (!item.quota_id) return { kind: 'unbound', item };
  if (!(item.window_end_ms !== undefined && item.window_end_ms > nowMs)) return { kind: 'no-window', item };
  if ((item.remaining ?? 0) < cost) return { kind: 'refused', item };
  return { kind: 'again' };
};

/** A single-item write refused because a transaction was changing the item at that moment. */
const isTransactionConflict = (error: unknown): boolean => error instanceof TransactionConflictException;

const oldItemOf = (error: unknown): CounterItem | undefined => {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
  return error.Item ? (unmarshall(error.Item) as CounterItem) : undefined;
};

/**
 * The hot path: ONE conditional UpdateItem that takes `cost` units from a counter's open window if
 * it is bound, its window is open at `nowMs` and at least `cost` units are left. When it is not
 * admitted, the item as it was comes back with the refusal (no second read) and says why. The
 * call's `requestId` is written with the units, so a retry of a write that landed is recognised
 * and not counted twice.
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
      new UpdateCommand({
        TableName: db.tableName,
        Key: keyOf(credential, index),
        UpdateExpression: 'SET remaining = remaining - :cost, last_consume = :request',
        ConditionExpression:
          'attribute_exists(quota_id) AND window_end_ms > :now AND remaining >= :cost AND ' +
          '(attribute_not_exists(last_consume) OR last_consume <> :request)',
        ExpressionAttributeValues: { ':cost': cost, ':now': nowMs, ':request': requestId },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { kind: 'admitted', item: Attributes as CounterItem };
  } catch (error) {
    if (isTransactionConflict(error)) return { kind: 'again' };
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
  | { readonly kind: 'overtaken' };

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

/** Sub-counter `index` of a credential, strongly consistent. */
export const getCounter = async (db: Db, credential: Credential, index = 0): Promise<CounterItem | undefined> => {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keyOf(credential, index), ConsistentRead: true }),
  );
  return Item as CounterItem | undefined;
};

/** These counters (those that exist), strongly consistent. */
export const getCounters = (db: Db, keys: readonly Key[]): Promise<CounterItem[]> => batchGet<CounterItem>(db, keys);

/** The keys of every sub-counter of an app's credential, the main one first. */
export const counterKeys = (app: App, subcounters: number): Key[] =>
  Array.from({ length: subcounters }, (_, index) => counterKey(app.projectId, app.instanceId, app.appKey, index));

/** An unbound counter: what every app has from its creation, and what an unbind leaves. */
const unboundCounter = (app: App): CounterItem => ({
  ...counterKey(app.projectId, app.instanceId, app.appKey),
  type: 'counter',
  app_id: app.appId,
  subcounter: 0,
});

/** Creates an app's main counter, unbound (with the app, in its create transaction). */
export const createCounterAction = (db: Db, app: App): TransactItem => ({
  Put: { TableName: db.tableName, Item: unboundCounter(app), ConditionExpression: 'attribute_not_exists(pk)' },
});

/** A bound counter with a fresh window: the quota's settings copied, this sub-counter's share of the limit. */
export const boundCounter = (app: App, settings: CounterSettings, index: number): CounterItem => {
  const { quota, configVersion } = settings;
  const { subcounters } = quota;
  return {
    ...counterKey(app.projectId, app.instanceId, app.appKey, index),
    type: 'counter',
    app_id: app.appId,
    subcounter: index,
    subcounters,
    quota_id: quota.quotaId,
    call_limits: quota.callLimits,
    limit_units: subcounterShare(quota.callLimits, subcounters, index),
    window_ms: windowLengthMs(quota),
    ...(quota.resetTime ? { anchor_ms: quota.resetTime.getTime() } : {}),
    config_version: configVersion,
  };
};

/**
 * Binds an app's credential: its main counter (which must be this app's and unbound) and every
 * other sub-counter get the quota's settings and a fresh window.
 */
export const bindCounterActions = (db: Db, app: App, settings: CounterSettings): TransactItem[] =>
  Array.from({ length: settings.quota.subcounters }, (_, index) => ({
    Put: {
      TableName: db.tableName,
      Item: boundCounter(app, settings, index),
      ConditionExpression:
        index === 0 ? 'app_id = :app AND attribute_not_exists(quota_id)' : 'attribute_not_exists(quota_id)',
      ...(index === 0 ? { ExpressionAttributeValues: { ':app': app.appId } } : {}),
    },
  }));

/** Unbinds an app's credential: the main counter goes back to unbound, the other sub-counters go. */
export const unbindCounterActions = (db: Db, app: App, subcounters: number): TransactItem[] =>
  counterKeys(app, subcounters).map((key, index) =>
    index === 0
      ? {
          Put: {
            TableName: db.tableName,
            Item: unboundCounter(app),
            ConditionExpression: 'app_id = :app',
            ExpressionAttributeValues: { ':app': app.appId },
          },
        }
      : { Delete: { TableName: db.tableName, Key: key } },
  );

/** Deletes every counter of an app's credential (with the app). */
export const deleteCounterActions = (db: Db, app: App, subcounters: number): TransactItem[] =>
  counterKeys(app, subcounters).map((key) => ({ Delete: { TableName: db.tableName, Key: key } }));

/**
 * Every counter of an app's credential as the usage route reads them (strongly consistent): the
 * app item (for its key and how many sub-counters it has; an app of the old layout is moved on
 * this first touch), then its counters. Undefined when there is no such app.
 */
export const getUsageCounters = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appId: string,
): Promise<CounterItem[] | undefined> => {
  for (let pass = 0; pass < 10; pass += 1) {
    const item = await getAppItem(db, projectId, instanceId, appId);
    if (!item) return undefined;
    if (isLegacyApp(item)) {
      await migrateApp(db, item);
      continue;
    }
    const counters = await getCounters(db, counterKeys(appFromItem(item), item.subcounters ?? 1));
    return counters.sort((a, b) => a.subcounter - b.subcounter);
  }
  throw new Error(`app ${appId} of the old layout could not be migrated`);
};
