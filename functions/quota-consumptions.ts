import { CONSUME_ROUTE } from '#lib/consume-route.ts';
import { createConsumptionDeps } from '#lib/consumption-deps.ts';
import { consumptionHandlers } from '#lib/handlers/consumption-handlers.ts';
import { createFunctionHandler } from '#lib/http/function-handler.ts';

/**
 * The data plane: may this credential go on? It matches requests against its one route, so its
 * bundle does not carry the route table (API Gateway sends it that route's requests only).
 */
export const handler = createFunctionHandler('quota-consumptions', consumptionHandlers, createConsumptionDeps(), [
  CONSUME_ROUTE,
]);
