import { INSTANCE_PATH } from './route-paths.ts';
import type { RouteDefinition } from './route-types.ts';

/**
 * The data plane's one route, in a module of its own so that the data plane's bundle carries it
 * and not the route table it belongs to (`ROUTES` in lib/routes.ts).
 */
export const CONSUME_ROUTE = {
  operation: 'consume',
  method: 'POST',
  path: `${INSTANCE_PATH}/quota-consumptions`,
  action: 'apig:clientQuota:consume',
  fn: 'quota-consumptions',
} as const satisfies RouteDefinition;
