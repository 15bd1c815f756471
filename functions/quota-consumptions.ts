import { createConsumptionDeps } from '#lib/consumption-deps.ts';
import { consumptionHandlers } from '#lib/handlers/consumption-handlers.ts';
import { createFunctionHandler } from '#lib/http/function-handler.ts';

/** The data plane: may this credential go on? */
export const handler = createFunctionHandler('quota-consumptions', consumptionHandlers, createConsumptionDeps());
