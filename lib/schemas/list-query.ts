import * as z from 'zod';
import { idSchema, instantSchema, limitSchema, nameFilterSchema, offsetSchema } from '#http/validation.ts';
import { credentialSchema } from './registry-bodies.ts';

/** Query of list routes filtered by `name` (instances, apps, quotas). */
export const nameListQuery = z.object({ offset: offsetSchema, limit: limitSchema, name: nameFilterSchema });
/**
 * Query of list instances: `name`, or `instance_name` as the vendor's SDK (ListInstancesV2) sends
 * it (a substring of the name, case-insensitive; given both, both must match), and `instance_id`
 * (that instance only).
 */
export const instanceListQuery = nameListQuery.extend({
  instance_name: nameFilterSchema,
  instance_id: idSchema.optional(),
});
/** Query of list routes that page and nothing more (a quota's apps by use). */
export const pageQuery = z.object({ offset: offsetSchema, limit: limitSchema });
/**
 * Query of an app's usage history: the windows that start at or after `from` and before `to`
 * (either may be left out); `to` before `from` is refused, naming `to`.
 */
export const historyQuery = pageQuery
  .extend({ from: instantSchema.optional(), to: instantSchema.optional() })
  .refine(({ from, to }) => from === undefined || to === undefined || from <= to, { path: ['to'] });
/** Query of list routes filtered by `app_name` (bound and bindable apps). */
export const appNameListQuery = z.object({ offset: offsetSchema, limit: limitSchema, app_name: nameFilterSchema });

/**
 * Query of list apps: the name filter, plus the vendor's `id`, `app_key` and `status` filters and
 * `precise_search=name` (the name matched exactly instead of as a substring).
 */
export const appListQuery = nameListQuery.extend({
  id: idSchema.optional(),
  app_key: credentialSchema.optional(),
  status: z
    .enum(['1', '2'])
    .transform((value) => Number(value) as 1 | 2)
    .optional(),
  precise_search: z.literal('name').optional(),
});
