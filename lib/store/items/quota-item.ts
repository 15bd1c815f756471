import type { Quota, TimeUnit } from '#domain/quota.ts';
import { quotaKey, quotaListKey } from '#store/table/keys.ts';

/** The stored form of a quota. */
export interface QuotaItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'quota';
  readonly lsi1sk: string;
  readonly project_id: string;
  readonly instance_id: string;
  readonly quota_id: string;
  readonly name: string;
  readonly name_lc: string;
  readonly call_limits: number;
  readonly time_unit: TimeUnit;
  readonly time_interval: number;
  /** ISO 8601; absent when windows open at a credential's first call. */
  readonly reset_time?: string;
  readonly remark: string;
  readonly create_time: string;
  readonly bound_app_num: number;
  /**
   * Bumped by every change of the limit or window. Bindings copy the quota's settings onto their
   * apps and are conditioned on this version, so a copy is never of a superseded version.
   */
  readonly config_version: number;
  /**
   * The last settings version that started a fresh window (a new time unit, interval or reset
   * time); absent when none did. A counter catching up from below it starts a fresh window too,
   * however many versions it skips.
   */
  readonly fresh_version?: number;
  /** Set when a delete has begun: the quota is gone for every reader while its bindings go. */
  readonly deleting?: boolean;
  /** Sub-counters per bound credential; absent on quotas of the layout before counters (1). */
  readonly subcounters?: number;
  /**
   * The quota's own threshold percentages, ascending (a list); absent when the stage's apply. Not
   * copied onto counters: the stream processor reads it here (`readQuotaThresholds`), never consume.
   */
  readonly alert_thresholds?: readonly number[];
  /** The split binds to this quota in progress (see `bindApps`); absent when none. */
  readonly pending_binds?: ReadonlySet<string>;
}

/** The stored form of a new quota, at settings version 1. */
export const quotaItemOf = (quota: Quota): QuotaItem => ({
  ...quotaKey(quota.projectId, quota.instanceId, quota.quotaId),
  type: 'quota',
  lsi1sk: quotaListKey(quota.createTime, quota.quotaId),
  project_id: quota.projectId,
  instance_id: quota.instanceId,
  quota_id: quota.quotaId,
  name: quota.name,
  name_lc: quota.name.toLowerCase(),
  call_limits: quota.callLimits,
  time_unit: quota.timeUnit,
  time_interval: quota.timeInterval,
  ...(quota.resetTime ? { reset_time: quota.resetTime.toISOString() } : {}),
  remark: quota.remark,
  create_time: quota.createTime.toISOString(),
  bound_app_num: quota.boundAppNum,
  config_version: 1,
  subcounters: quota.subcounters,
  ...(quota.alertThresholds ? { alert_thresholds: quota.alertThresholds } : {}),
});

/** A quota as read, with the version its settings are at and whether a delete has begun. */
export interface VersionedQuota {
  readonly quota: Quota;
  readonly configVersion: number;
  /** The last settings version that started a fresh window (0: none); see `QuotaItem.fresh_version`. */
  readonly freshVersion: number;
  readonly deleting: boolean;
  /** Split binds in progress (usually none). */
  readonly pendingBinds: readonly string[];
}

/** A stored quota as read, with its settings' version, its delete mark and its split binds. */
export const versionedQuotaFromItem = (item: QuotaItem): VersionedQuota => ({
  quota: quotaFromItem(item),
  configVersion: item.config_version,
  freshVersion: item.fresh_version ?? 0,
  deleting: item.deleting === true,
  pendingBinds: [...(item.pending_binds ?? [])],
});

/** The domain form of a stored quota. */
export const quotaFromItem = (item: QuotaItem): Quota => ({
  projectId: item.project_id,
  instanceId: item.instance_id,
  quotaId: item.quota_id,
  name: item.name,
  callLimits: item.call_limits,
  timeUnit: item.time_unit,
  timeInterval: item.time_interval,
  resetTime: item.reset_time ? new Date(item.reset_time) : undefined,
  remark: item.remark,
  createTime: new Date(item.create_time),
  boundAppNum: item.bound_app_num,
  subcounters: item.subcounters ?? 1,
  ...(item.alert_thresholds ? { alertThresholds: item.alert_thresholds } : {}),
});
