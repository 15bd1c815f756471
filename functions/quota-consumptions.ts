import { consumptionHandlers } from '#adapters/consumption-handlers.ts';
import { createDataPlaneDeps } from '#app/data-plane-deps.ts';
import { createFunctionHandler } from '#http/function-handler.ts';
import { CONSUME_ROUTE } from '#routing/consume-route.ts';

/**
 * The data plane: may this credential go on? It matches requests against its one route, so its
 * bundle does not carry the route table (API Gateway sends it that route's requests only).
 */
export const handler = createFunctionHandler('quota-consumptions', consumptionHandlers, createDataPlaneDeps(), [
  CONSUME_ROUTE,
]);
