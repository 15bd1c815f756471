import { createDeps } from '#lib/deps.ts';
import { appQuotaHandlers } from '#lib/handlers/app-quota-handlers.ts';
import { createFunctionHandler } from '#lib/http/function-handler.ts';

/** Everything under `{P}/app-quotas`: create, show, list, update, delete, bind, unbind, lists. */
export const handler = createFunctionHandler('app-quotas', appQuotaHandlers, createDeps());
