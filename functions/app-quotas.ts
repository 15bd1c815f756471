import { createDeps } from '#lib/deps.ts';
import { appQuotaHandlers } from '#lib/handlers/app-quota-handlers.ts';
import { withQuotaSweep } from '#lib/handlers/quota-sweep-handler.ts';
import { createFunctionHandler } from '#lib/http/function-handler.ts';
import { ROUTES } from '#lib/routes.ts';

const deps = createDeps();

/**
 * Everything under `{P}/app-quotas`: create, show, list, update, delete, bind, unbind, lists; and,
 * on its EventBridge schedule, the sweep that finishes quota deletes their clients left half done.
 */
export const handler = withQuotaSweep(createFunctionHandler('app-quotas', appQuotaHandlers, deps, ROUTES), deps);
