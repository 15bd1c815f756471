/**
 * The success bodies every route answers, as zod schemas: the views in `lib/http/views.ts` and
 * `lib/http/consumption-response.ts` are typed by their `z.output` (so a field they add or drop
 * fails the typecheck), every handler's answer is typed by its route's entry of
 * {@link RESPONSE_BODIES} (`HandlerSet`), and the OpenAPI document is generated from them: the
 * three cannot drift. Objects are strict, so the document says `additionalProperties: false`.
 */
import * as z from 'zod';
import type { Operation } from '#routing/routes.ts';

const int = z.number().int();
/** A time as the API writes it: ISO 8601 in UTC, milliseconds included. */
const time = z.string().describe('ISO 8601 UTC, e.g. 2026-12-01T18:35:59.123Z');
const status = z.union([z.literal(1), z.literal(2)]).describe('1 enabled, 2 disabled');

/** An instance (create, show, list items). */
export const instanceSchema = z.strictObject({
  instance_id: z.string(),
  instance_name: z.string(),
  description: z.string(),
  create_time: time,
});

/** An app as show, list and update answer it: never its secret. */
export const appSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  remark: z.string(),
  status,
  app_key: z.string(),
  creator: z.literal('USER'),
  app_type: z.literal('apig'),
  register_time: time,
  update_time: time,
});

/** An app with its secret: the answer of create app and of reset secret, the only two that show it. */
export const appWithSecretSchema = appSchema.extend({ app_secret: z.string() });

/** An app in list apps: `bind_num` counts the quotas it is bound to (0 or 1). */
export const listedAppSchema = appSchema.extend({ bind_num: int });

/** A quota (AppQuotaInfo); `reset_time` (`YYYY-MM-DD HH:mm:ss`, UTC) only when it has one. */
export const quotaSchema = z.strictObject({
  app_quota_id: z.string(),
  name: z.string(),
  call_limits: int,
  time_unit: z.enum(['SECOND', 'MINUTE', 'HOUR', 'DAY']),
  time_interval: int,
  remark: z.string(),
  reset_time: z.string().optional(),
  create_time: time,
  bound_app_num: int,
  alert_thresholds: z
    .array(int)
    .optional()
    .describe(
      "This service's extension, not the vendor's: the quota's own threshold percentages, ascending; " +
        "present only when set (the stage's apply otherwise). List quotas does not carry it: show the quota.",
    ),
});

/** A binding as bind answers it (AppQuotaAppBinding). */
export const bindingSchema = z.strictObject({ app_quota_id: z.string(), app_id: z.string(), bound_time: time });

/** An app in the bindable list: AppQuotaAppInfo without the quota fields it does not have. */
export const bindableAppSchema = z.strictObject({
  app_id: z.string(),
  name: z.string(),
  status,
  app_key: z.string(),
  remark: z.string(),
  register_time: time,
  update_time: time,
});

/** An app in the bound list (AppQuotaAppInfo); `bound_time` is empty for a binding made before it was kept. */
export const boundAppSchema = bindableAppSchema.extend({
  app_quota_id: z.string(),
  app_quota_name: z.string(),
  bound_time: z.string(),
});

/** An app's usage of its quota: the quota fields are null when it is bound to none. */
export const usageSchema = z.strictObject({
  app_id: z.string(),
  app_quota_id: z.string().nullable(),
  limit: int.nullable(),
  used: int.nullable(),
  remaining: int.nullable(),
  window_start: time.nullable(),
  reset_at: time.nullable(),
});

/**
 * A bound app in a quota's usage list: its open window's use. `window_start` and `reset_at` are
 * null while it has no window open (an unanchored quota opens one at the first counted call).
 */
export const appUsageSchema = z.strictObject({
  app_id: z.string(),
  name: z.string(),
  limit: int,
  used: int,
  remaining: int,
  window_start: time.nullable(),
  reset_at: time.nullable(),
});

/** One closed window of an app's credential in its usage history: the units admitted in it, of which limit. */
export const usageWindowSchema = z.strictObject({
  app_quota_id: z.string(),
  limit: int,
  used: int,
  window_start: time,
  window_end: time,
});

/** The answer to an admitted consume: the quota fields are null when no quota applies. */
export const consumptionSchema = z.strictObject({
  app_id: z.string(),
  app_quota_id: z.string().nullable(),
  limit: int.nullable(),
  remaining: int.nullable(),
  reset_at: time.nullable(),
});

/** The APIG error envelope every error answers with. */
export const errorSchema = z.strictObject({ error_code: z.string(), error_msg: z.string() });

/** A list answer: `{total, size, <name>: [...]}`, `total` counting every match, `size` this page. */
const page = <N extends string, T extends z.ZodType>(name: N, item: T) =>
  z.strictObject({ total: int, size: int, ...({ [name]: z.array(item) } as Record<N, z.ZodArray<T>>) });

/** Every route's success body; `undefined` for the 204s, which have none. */
export const RESPONSE_BODIES = {
  createInstance: instanceSchema,
  showInstance: instanceSchema,
  listInstances: page('instances', instanceSchema),
  createApp: appWithSecretSchema,
  showApp: appSchema,
  listApps: page('apps', listedAppSchema),
  deleteApp: undefined,
  createQuota: quotaSchema,
  bindApps: z.strictObject({ applies: z.array(bindingSchema) }),
  listBoundApps: page('apps', boundAppSchema),
  showQuota: quotaSchema,
  listQuotas: page('quotas', quotaSchema),
  updateQuota: quotaSchema,
  deleteQuota: undefined,
  unbindApp: undefined,
  listBindableApps: page('apps', bindableAppSchema),
  showAppQuota: quotaSchema,
  consume: consumptionSchema,
  showUsage: usageSchema,
  listUsageHistory: page('history', usageWindowSchema),
  listQuotaUsage: page('apps', appUsageSchema),
  updateApp: appSchema,
  resetAppSecret: appWithSecretSchema,
  deleteInstance: undefined,
  health: z.strictObject({ status: z.literal('UP') }),
  openapi: z.record(z.string(), z.unknown()).describe('This document'),
} as const satisfies Record<Operation, z.ZodType | undefined>;

/** The success body of an operation, as its handler must answer it. */
export type ResponseBody<O extends Operation> = (typeof RESPONSE_BODIES)[O] extends z.ZodType
  ? z.output<(typeof RESPONSE_BODIES)[O]>
  : undefined;
