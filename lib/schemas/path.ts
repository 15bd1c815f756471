import * as z from 'zod';
import { idSchema, projectIdSchema } from '#http/validation.ts';

/** Path of the project-level routes. */
export const projectPath = z.object({ project_id: projectIdSchema });
/** Path of routes under `{P}` (one instance). */
export const instancePath = projectPath.extend({ instance_id: idSchema });
/** Path of routes about one app. */
export const appPath = instancePath.extend({ app_id: idSchema });
/** Path of routes about one quota. */
export const quotaPath = instancePath.extend({ app_quota_id: idSchema });
/** Path of routes about one app of one quota. */
export const quotaAppPath = quotaPath.extend({ app_id: idSchema });
