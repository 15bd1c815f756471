/**
 * Every DynamoDB key of the service is built here, from prefixed parts, so no other module
 * assembles key strings. Layout (pk / sk):
 *
 * - project:          `PROJECT#<project>` / `PROJECT` (its instance count)
 * - instance:         `PROJECT#<project>` / `INSTANCE#<instance_id>`
 * - app:              `PROJECT#<project>#INSTANCE#<instance_id>` / `APP#<app_id>`
 * - app name marker:  `PROJECT#<project>#INSTANCE#<instance_id>` / `APPNAME#<name>`
 * - app key claim:    `PROJECT#<project>#INSTANCE#<instance_id>` / `APPKEY#<app_key>`
 * - quota:            `PROJECT#<project>#INSTANCE#<instance_id>` / `QUOTA#<app_quota_id>`
 * - quota name claim: `PROJECT#<project>#INSTANCE#<instance_id>` / `QUOTANAME#<name>`
 * - access key:       `ACCESSKEY#<ak>` / `ACCESSKEY`, and its entry `PROJECT#<project>` / `ACCESSKEY#<ak>`
 * - split bind:       `PROJECT#<project>#INSTANCE#<instance_id>` / `BINDOP#<bind_id>` (while it runs)
 * - counter:          `PROJECT#<project>#INSTANCE#<instance_id>#APPKEY#<app_key>#<n>` / `COUNTER`
 * - quota delete:     `SWEEP#QUOTA-DELETES` / `<project>#<instance_id>#<app_quota_id>` (from a quota's
 *                     mark as deleting to its removal)
 * - quota update:     `SWEEP#QUOTA-UPDATES` / `<project>#<instance_id>#<app_quota_id>` (from a split
 *                     update's first transaction until every bound counter has its settings)
 * - client token:     `PROJECT#<project>#CLIENTTOKEN#<token>` / `CLIENTTOKEN` (a create's answer, 24 h)
 * - usage history:    `PROJECT#<project>#INSTANCE#<instance_id>#HISTORY#<app_id>` / `WINDOW#<window start ms>`
 *                     (a closed window of a credential, until its retention ends)
 * - threshold alert:  `PROJECT#<project>#INSTANCE#<instance_id>#HISTORY#<app_id>` / `ALERT#<window start ms>#<percent>`
 *                     (the one event of a credential, window and threshold)
 *
 * A counter is the one item consume writes: sub-counter n of a credential, in a partition of its
 * own (its pk is shared with nothing), addressed by what a consume call carries.
 *
 * The project is part of every key, so an instance does not exist under another project.
 */

/** A primary key. */
export interface Key {
  readonly pk: string;
  readonly sk: string;
}

const projectPk = (projectId: string): string => `PROJECT#${projectId}`;
const instancePk = (projectId: string, instanceId: string): string => `${projectPk(projectId)}#INSTANCE#${instanceId}`;

/** The partition holding a project's instances. */
export const instancesPartition = projectPk;
/** The partition holding everything of one instance but its credentials. */
export const instancePartition = instancePk;

/** The project's own item: how many instances it holds, for the instances-per-project limit. */
export const projectKey = (projectId: string): Key => ({ pk: projectPk(projectId), sk: 'PROJECT' });

/** The instance item. */
export const instanceKey = (projectId: string, instanceId: string): Key => ({
  pk: projectPk(projectId),
  sk: `INSTANCE#${instanceId}`,
});

/** The app item. */
export const appKey = (projectId: string, instanceId: string, appId: string): Key => ({
  pk: instancePk(projectId, instanceId),
  sk: `APP#${appId}`,
});

/** The marker that keeps app names unique within an instance. */
export const appNameKey = (projectId: string, instanceId: string, name: string): Key => ({
  pk: instancePk(projectId, instanceId),
  sk: `APPNAME#${name}`,
});

/** The claim that keeps `app_key` unique within an instance and maps it to its app. */
export const appKeyClaimKey = (projectId: string, instanceId: string, key: string): Key => ({
  pk: instancePk(projectId, instanceId),
  sk: `APPKEY#${key}`,
});

/** The quota item. */
export const quotaKey = (projectId: string, instanceId: string, quotaId: string): Key => ({
  pk: instancePk(projectId, instanceId),
  sk: `QUOTA#${quotaId}`,
});

/** The claim that keeps quota names unique within an instance. */
export const quotaNameKey = (projectId: string, instanceId: string, name: string): Key => ({
  pk: instancePk(projectId, instanceId),
  sk: `QUOTANAME#${name}`,
});

/**
 * Sub-counter `index` (0 is the main one) of the credential with `key` in an instance. Its
 * partition key holds nothing else, so DynamoDB can place every counter on a partition of its own.
 */
export const counterKey = (projectId: string, instanceId: string, key: string, index = 0): Key => ({
  pk: `${instancePk(projectId, instanceId)}#APPKEY#${key}#${index}`,
  sk: COUNTER_SORT_KEY,
});

/** The sort key of every counter and of nothing else: what the stream's filter keeps. */
export const COUNTER_SORT_KEY = 'COUNTER';

/** What a counter's partition key names: its credential and which sub-counter it is. */
export interface CounterAddress {
  readonly projectId: string;
  readonly instanceId: string;
  readonly appKey: string;
  readonly index: number;
}

// Project ids, instance ids and app keys hold no `#` (their schemas), so the split is unambiguous.
const COUNTER_PK = /^PROJECT#([^#]+)#INSTANCE#([^#]+)#APPKEY#([^#]+)#(\d+)$/;

/** The credential and sub-counter a counter's partition key names (a stream record carries only the keys). */
export const counterAddressOf = (pk: string): CounterAddress | undefined => {
  const match = COUNTER_PK.exec(pk);
  if (!match) return undefined;
  const [, projectId, instanceId, appKey, index] = match as unknown as [string, string, string, string, string];
  return { projectId, instanceId, appKey, index: Number(index) };
};

/** The record of a bind that spans several transactions, while it runs (in its instance's partition). */
export const bindOperationKey = (projectId: string, instanceId: string, bindId: string): Key => ({
  pk: instancePk(projectId, instanceId),
  sk: `BINDOP#${bindId}`,
});

/**
 * The one partition of the quota deletes under way: a marker per quota marked deleting and not yet
 * removed, so the sweep finds them with a Query, not a Scan. Deletes are rare and each writes it
 * twice (mark, removal), so one partition's write rate is no concern; its markers are tiny and
 * short-lived, far from the 10 GB a partition of a table with local indexes may hold.
 */
export const QUOTA_DELETES_PARTITION = 'SWEEP#QUOTA-DELETES';

/** The sort-key prefix of the markers of one instance's quota deletes. */
export const quotaDeletesOfInstancePrefix = (projectId: string, instanceId: string): string =>
  `${projectId}#${instanceId}#`;

/** The marker of a quota's delete, while it runs. */
export const quotaDeleteMarkerKey = (projectId: string, instanceId: string, quotaId: string): Key => ({
  pk: QUOTA_DELETES_PARTITION,
  sk: `${quotaDeletesOfInstancePrefix(projectId, instanceId)}${quotaId}`,
});

/**
 * The one partition of the quota updates whose counters may still lag: a marker per quota whose
 * split update (more counters than one transaction holds) has written the quota and not yet every
 * counter, so the sweep finds them with a Query. Written twice per split update (its first
 * transaction, its end); its markers are as tiny and short-lived as the deletes'.
 */
export const QUOTA_UPDATES_PARTITION = 'SWEEP#QUOTA-UPDATES';

/** The marker of a quota's split update, while its counters may lag (one per quota, of its newest update). */
export const quotaUpdateMarkerKey = (projectId: string, instanceId: string, quotaId: string): Key => ({
  pk: QUOTA_UPDATES_PARTITION,
  sk: `${quotaDeletesOfInstancePrefix(projectId, instanceId)}${quotaId}`,
});

/**
 * The partition of one app's usage history and threshold alerts, written off the hot path by the
 * stream processor (a few items per app and window, never by consume), read newest first by the
 * history route. Keyed by app id, which the route takes and every counter item carries.
 */
export const usageHistoryPartition = (projectId: string, instanceId: string, appId: string): string =>
  `${instancePk(projectId, instanceId)}#HISTORY#${appId}`;

// Epoch milliseconds zero-padded to 13 digits: ascending order is oldest first until the year 2286.
const epochMs = (ms: number): string => String(ms).padStart(13, '0');

/** Sort-key prefixes of an app's history partition. */
export const HISTORY_PREFIX = { window: 'WINDOW#', alert: 'ALERT#' } as const;

/** The history item of one closed window of an app's credential, by the window's start. */
export const usageHistoryKey = (projectId: string, instanceId: string, appId: string, windowStartMs: number): Key => ({
  pk: usageHistoryPartition(projectId, instanceId, appId),
  sk: `${HISTORY_PREFIX.window}${epochMs(windowStartMs)}`,
});

/** The sort key of the history item of the window starting at `windowStartMs` (for range conditions). */
export const usageHistorySortKey = (windowStartMs: number): string =>
  `${HISTORY_PREFIX.window}${epochMs(windowStartMs)}`;

/** The record that a credential's use in a window reached `percent` of its limit: one per threshold and window. */
export const thresholdAlertKey = (
  projectId: string,
  instanceId: string,
  appId: string,
  windowStartMs: number,
  percent: number,
): Key => ({
  pk: usageHistoryPartition(projectId, instanceId, appId),
  sk: `${thresholdAlertsPrefix(windowStartMs)}${String(percent).padStart(3, '0')}`,
});

/** The sort-key prefix of the threshold alerts of one window of an app's credential. */
export const thresholdAlertsPrefix = (windowStartMs: number): string =>
  `${HISTORY_PREFIX.alert}${epochMs(windowStartMs)}#`;

/** Sort-key prefixes of the listing index (`lsi1`). */
export const LIST_PREFIX = { instance: 'INSTANCE#', app: 'APP#', quota: 'QUOTA#' } as const;

// Epoch milliseconds subtracted from 10^13 and zero-padded: ascending order is newest first
// until the year 2286.
const newestFirst = (date: Date): string => String(1e13 - date.getTime()).padStart(13, '0');

// `#` sorts before every character a name may hold, so a name sorts before its own extensions.
const byName = (prefix: string, name: string, id: string): string => `${prefix}${name.toLowerCase()}#${id}`;

/** Listing sort key of an instance: by name, case-insensitively, then id. */
export const instanceListKey = (name: string, instanceId: string): string =>
  byName(LIST_PREFIX.instance, name, instanceId);

/** Listing sort key of an app: by name, case-insensitively, then id. */
export const appListKey = (name: string, appId: string): string => byName(LIST_PREFIX.app, name, appId);

/** Listing sort key of a quota: newest first, then id. */
export const quotaListKey = (createTime: Date, quotaId: string): string =>
  `${LIST_PREFIX.quota}${newestFirst(createTime)}#${quotaId}`;

/** Sort-key prefixes of the binding-state index (`lsi2`). */
export const BINDING_PREFIX = { unbound: 'UNBOUND#', bound: 'BOUND#' } as const;

/** Binding-state sort key of an app bound to no quota: by name, then id. */
export const unboundAppKey = (name: string, appId: string): string => byName(BINDING_PREFIX.unbound, name, appId);

/** The binding-state prefix of every app bound to a quota. */
export const boundToQuotaPrefix = (quotaId: string): string => `${BINDING_PREFIX.bound}${quotaId}#`;

/** Binding-state sort key of a bound app: by quota, newest binding first, then app id. */
export const boundAppKey = (quotaId: string, boundTime: Date, appId: string): string =>
  `${boundToQuotaPrefix(quotaId)}${newestFirst(boundTime)}#${appId}`;

/** An access key, in a partition of its own: every signed request reads it by its id alone. */
export const accessKeyKey = (accessKey: string): Key => ({ pk: `ACCESSKEY#${accessKey}`, sk: 'ACCESSKEY' });

/** The sort-key prefix of a project's access-key entries, in the project's partition. */
export const ACCESS_KEY_ENTRY_PREFIX = 'ACCESSKEY#';

/** A project's entry for one of its access keys, so the project's keys can be listed with one Query. */
export const accessKeyEntryKey = (projectId: string, accessKey: string): Key => ({
  pk: projectPk(projectId),
  sk: `${ACCESS_KEY_ENTRY_PREFIX}${accessKey}`,
});

/**
 * The record of a create request's answer under its client token (`X-Client-Token`), in a partition
 * of its own: a retry reads it by the project and token alone.
 */
export const clientTokenKey = (projectId: string, token: string): Key => ({
  pk: `${projectPk(projectId)}#CLIENTTOKEN#${token}`,
  sk: 'CLIENTTOKEN',
});
