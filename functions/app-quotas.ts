import { appQuotaHandlers } from '#adapters/app-quota-handlers.ts';
import { withCounterStream } from '#adapters/counter-stream-handler.ts';
import { withQuotaSweep } from '#adapters/quota-sweep-handler.ts';
import { createControlPlaneDeps } from '#app/control-plane-deps.ts';
import { createUsageStreamDeps } from '#app/usage-stream-deps.ts';
import { createFunctionHandler } from '#http/function-handler.ts';
import { ROUTES } from '#routing/routes.ts';

const deps = createControlPlaneDeps();

/**
 * Everything under `{P}/app-quotas`: create, show, list, update, delete, bind, unbind, lists; on
 * its EventBridge schedule, the sweep that finishes quota deletes their clients left half done;
 * and the table's stream of counter changes: the usage history and the threshold events.
 */
export const handler = withCounterStream(
  withQuotaSweep(createFunctionHandler('app-quotas', appQuotaHandlers, deps, ROUTES), deps),
  createUsageStreamDeps(),
);
