import * as z from 'zod';
import { parseResetTime, TIME_UNIT_MS, type TimeUnit } from '#domain/quota.ts';
import { MAX_SUBCOUNTERS } from '#domain/subcounters.ts';
import { ALERT_THRESHOLD_RULE, areAlertThresholds, sortedThresholds } from '#domain/usage-window.ts';
import { idSchema, remarkSchema } from '#http/validation.ts';

/** The largest `call_limits` and `time_interval`: a 32-bit signed integer, as the vendor's. */
export const MAX_INT32 = 2_147_483_647;

const positiveInt32 = z.number().int().min(1).max(MAX_INT32);

const resetTime = z
  .string()
  .transform((value, ctx) => {
    const date = parseResetTime(value);
    if (!date) {
      ctx.addIssue({ code: 'custom', message: 'not a reset time' });
      return z.NEVER;
    }
    return date;
  })
  .nullish();

const { minCount, maxCount, min, max } = ALERT_THRESHOLD_RULE;

/**
 * A quota's own alert thresholds: the stage setting's rule (`areAlertThresholds`, one check for
 * both), the bounds spelt out for the OpenAPI document; kept ascending.
 */
export const alertThresholdsSchema = z
  .array(z.number().int().min(min).max(max))
  .min(minCount)
  .max(maxCount)
  .refine(areAlertThresholds, 'not distinct')
  .transform(sortedThresholds)
  .meta({
    uniqueItems: true,
    description:
      "This service's extension, not the vendor's: the percentages of call_limits at which a bound " +
      "credential's use in a window sends a threshold event (distinct; kept ascending). Absent, the " +
      "stage's thresholds apply; on update, absent keeps them and null removes them.",
  });

/** Create (and update) quota body: every field rule of the vendor's CreateAppQuota. */
export const quotaBody = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{2,254}$/),
  call_limits: positiveInt32,
  time_unit: z.enum(Object.keys(TIME_UNIT_MS) as [TimeUnit, ...TimeUnit[]]),
  time_interval: positiveInt32,
  reset_time: resetTime,
  remark: remarkSchema.optional(),
  /** This service's own option: sub-counters per bound credential, for credentials past one partition's write rate. */
  subcounters: z.number().int().min(1).max(MAX_SUBCOUNTERS).optional(),
  alert_thresholds: alertThresholdsSchema.nullish(),
});

/** The most ids one bind request takes. */
export const MAX_BIND_IDS = 100;

/** Bind apps body: 1-100 ids, plain or dashed, given back canonical with duplicates collapsed. */
export const bindAppsBody = z.object({
  app_ids: z
    .array(idSchema)
    .min(1)
    .max(MAX_BIND_IDS)
    .transform((ids) => [...new Set(ids)]),
});
