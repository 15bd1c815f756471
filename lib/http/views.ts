import type { z } from 'zod';
import type { App, AppBinding, Instance } from '#domain/models.ts';
import type { Page } from '#domain/page.ts';
import { type Binding, formatResetTime, type Quota } from '#domain/quota.ts';
import { formatTime } from '#domain/time.ts';
import type {
  appSchema,
  appUsageSchema,
  bindableAppSchema,
  bindingSchema,
  boundAppSchema,
  instanceSchema,
  listedAppSchema,
  quotaSchema,
  usageSchema,
  usageWindowSchema,
} from '#schemas/responses.ts';
import type { AppUsage } from '#use-cases/list-quota-usage.ts';
import type { UsageWindow } from '#use-cases/list-usage-history.ts';
import type { Usage } from '#use-cases/show-usage.ts';

// Each view is typed by its schema in lib/schemas/responses.ts, which the OpenAPI document is made of.
type Shape<S extends z.ZodType> = z.output<S>;

/** An instance as the API shows it. */
export const instanceView = (instance: Instance): Shape<typeof instanceSchema> => ({
  instance_id: instance.instanceId,
  instance_name: instance.name,
  description: instance.description,
  create_time: formatTime(instance.createTime),
});

/**
 * An app as show and list return it (never the secret). `creator` and `app_type` are the vendor
 * SDK's fields with the values of an app an operator made through this API: `USER` (not from a
 * marketplace) and `apig` (not a ROMA Connect integration app).
 */
export const appView = (app: App): Shape<typeof appSchema> => ({
  id: app.appId,
  name: app.name,
  remark: app.remark,
  status: app.status,
  app_key: app.appKey,
  creator: 'USER',
  app_type: 'apig',
  register_time: formatTime(app.registerTime),
  update_time: formatTime(app.updateTime),
});

/** An app as list apps shows it: `bind_num` counts the quotas it is bound to (0 or 1). */
export const listedAppView = (app: App & { readonly bindNum: number }): Shape<typeof listedAppSchema> => ({
  ...appView(app),
  bind_num: app.bindNum,
});

/** A list answer: `{total, size, <name>: [...]}`. */
export const pageView = <T, V, N extends string>(
  page: Page<T>,
  name: N,
  view: (item: T) => V,
): { total: number; size: number } & Record<N, V[]> =>
  ({ total: page.total, size: page.items.length, [name]: page.items.map(view) }) as {
    total: number;
    size: number;
  } & Record<N, V[]>;

/**
 * A quota as the API shows it (AppQuotaInfo); `reset_time` is omitted when it has none, and this
 * service's `alert_thresholds` when the quota has none of its own (the vendor's shape unchanged).
 */
export const quotaView = (quota: Quota): Shape<typeof quotaSchema> => ({
  app_quota_id: quota.quotaId,
  name: quota.name,
  call_limits: quota.callLimits,
  time_unit: quota.timeUnit,
  time_interval: quota.timeInterval,
  remark: quota.remark,
  ...(quota.resetTime ? { reset_time: formatResetTime(quota.resetTime) } : {}),
  create_time: formatTime(quota.createTime),
  bound_app_num: quota.boundAppNum,
  ...(quota.alertThresholds ? { alert_thresholds: [...quota.alertThresholds] } : {}),
});

/** A binding as bind answers it (AppQuotaAppBinding). */
export const bindingView = (binding: Binding): Shape<typeof bindingSchema> => ({
  app_quota_id: binding.quotaId,
  app_id: binding.appId,
  bound_time: formatTime(binding.boundTime),
});

/** An app in the bindable list: AppQuotaAppInfo without the quota fields it does not have. */
export const bindableAppView = ({ app }: AppBinding): Shape<typeof bindableAppSchema> => ({
  app_id: app.appId,
  name: app.name,
  status: app.status,
  app_key: app.appKey,
  remark: app.remark,
  register_time: formatTime(app.registerTime),
  update_time: formatTime(app.updateTime),
});

/** An app in the bound list (AppQuotaAppInfo). */
export const boundAppView = (binding: AppBinding, quota: Quota): Shape<typeof boundAppSchema> => ({
  ...bindableAppView(binding),
  app_quota_id: quota.quotaId,
  app_quota_name: quota.name,
  bound_time: binding.boundTime ? formatTime(binding.boundTime) : '',
});

const timeOrNull = (ms: number | null) => (ms === null ? null : formatTime(new Date(ms)));

/** An app's usage of its quota. */
export const usageView = (usage: Usage): Shape<typeof usageSchema> => ({
  app_id: usage.appId,
  app_quota_id: usage.quotaId,
  limit: usage.limit,
  used: usage.used,
  remaining: usage.remaining,
  window_start: timeOrNull(usage.windowStart),
  reset_at: timeOrNull(usage.resetAt),
});

/** A bound app in a quota's usage list. */
export const appUsageView = (usage: AppUsage): Shape<typeof appUsageSchema> => ({
  app_id: usage.app.appId,
  name: usage.app.name,
  limit: usage.limit,
  used: usage.used,
  remaining: usage.remaining,
  window_start: timeOrNull(usage.windowStart),
  reset_at: timeOrNull(usage.resetAt),
});

/** A closed window in an app's usage history. */
export const usageWindowView = (window: UsageWindow): Shape<typeof usageWindowSchema> => ({
  app_quota_id: window.quotaId,
  limit: window.limit,
  used: window.used,
  window_start: formatTime(window.windowStart),
  window_end: formatTime(window.windowEnd),
});
