import type { App } from '#domain/models.ts';
import { type Quota, windowLengthMs } from '#domain/quota.ts';
import { subcounterShare } from '#domain/subcounters.ts';
import type { Db, TransactItem } from '#store/table/db.ts';
import { counterKey, type Key } from '#store/table/keys.ts';

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

/** The key of sub-counter `index` of the credential a consume names. */
export const credentialCounterKey = ({ projectId, instanceId, appKey }: Credential, index = 0): Key =>
  counterKey(projectId, instanceId, appKey, index);

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
