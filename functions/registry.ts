import { registryHandlers } from '#adapters/registry-handlers.ts';
import { createControlPlaneDeps } from '#app/control-plane-deps.ts';
import { createFunctionHandler } from '#http/function-handler.ts';
import { ROUTES } from '#routing/routes.ts';

/** Instances, apps (credentials), an app's quota and usage, health, and every unmatched request. */
export const handler = createFunctionHandler('registry', registryHandlers, createControlPlaneDeps(), ROUTES);
