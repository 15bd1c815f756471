import { appQuotaHandlers } from '#adapters/app-quota-handlers.ts';
import { withQuotaSweep } from '#adapters/quota-sweep-handler.ts';
import { createControlPlaneDeps } from '#app/control-plane-deps.ts';
import { createFunctionHandler } from '#http/function-handler.ts';
import { ROUTES } from '#routing/routes.ts';

const deps = createControlPlaneDeps();

/**
 * Everything under `{P}/app-quotas`: create, show, list, update, delete, bind, unbind, lists; and,
 * on its EventBridge schedule, the sweep that finishes quota deletes their clients left half done.
 */
export const handler = withQuotaSweep(createFunctionHandler('app-quotas', appQuotaHandlers, deps, ROUTES), deps);
