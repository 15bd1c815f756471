import { appQuotaHandlers } from '#adapters/app-quota-handlers.ts';
import { consumptionHandlers } from '#adapters/consumption-handlers.ts';
import { withQuotaSweep } from '#adapters/quota-sweep-handler.ts';
import { registryHandlers } from '#adapters/registry-handlers.ts';
import type { ControlPlaneDeps } from '#app/control-plane-deps.ts';
import type { FunctionHandler } from '#http/function-handler.ts';
import { createFunctionHandler } from '#http/function-handler.ts';
import { CONSUME_ROUTE } from '#routing/consume-route.ts';
import { FUNCTION_NAMES, type FunctionName } from '#routing/route-types.ts';
import { ROUTES } from '#routing/routes.ts';

/**
 * Each function's handler over given dependencies, built as its entry point in `functions/` builds
 * it, for in-process runs (tests, the bench). The entry points import only their own handler set,
 * so a bundle carries one function's code.
 */
export const FUNCTION_BUILDERS: Readonly<Record<FunctionName, (deps: ControlPlaneDeps) => FunctionHandler>> = {
  registry: (deps) => createFunctionHandler('registry', registryHandlers, deps, ROUTES),
  'app-quotas': (deps) => withQuotaSweep(createFunctionHandler('app-quotas', appQuotaHandlers, deps, ROUTES), deps),
  'quota-consumptions': (deps) =>
    createFunctionHandler('quota-consumptions', consumptionHandlers, deps, [CONSUME_ROUTE]),
};

/** The three functions' handlers over the same dependencies. */
export const createServiceHandlers = (deps: ControlPlaneDeps): Record<FunctionName, FunctionHandler> =>
  Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, FUNCTION_BUILDERS[fn](deps)])) as Record<
    FunctionName,
    FunctionHandler
  >;
