import * as z from 'zod';
import { parseResetTime, TIME_UNIT_MS, type TimeUnit } from '#domain/quota.ts';
import { MAX_SUBCOUNTERS } from '#domain/subcounters.ts';
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
