import * as z from 'zod';
import { limitSchema, nameFilterSchema, offsetSchema } from '../http/validation.ts';

/** Query of list routes filtered by `name` (instances, apps, quotas). */
export const nameListQuery = z.object({ offset: offsetSchema, limit: limitSchema, name: nameFilterSchema });
/** Query of list routes filtered by `app_name` (bound and bindable apps). */
export const appNameListQuery = z.object({ offset: offsetSchema, limit: limitSchema, app_name: nameFilterSchema });
