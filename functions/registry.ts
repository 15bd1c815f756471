import { createDeps } from '#lib/deps.ts';
import { registryHandlers } from '#lib/handlers/registry-handlers.ts';
import { createFunctionHandler } from '#lib/http/function-handler.ts';
import { ROUTES } from '#lib/routes.ts';

/** Instances, apps (credentials), an app's quota and usage, health, and every unmatched request. */
export const handler = createFunctionHandler('registry', registryHandlers, createDeps(), ROUTES);
