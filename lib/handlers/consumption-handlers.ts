import { unknownAppKey } from '../domain/errors.ts';
import { consumptionResponse } from '../http/consumption-response.ts';
import type { HandlerSet } from '../http/function-handler.ts';
import { isWellFormedAppKey } from '../schemas/consume-body.ts';
import { parseRequest } from '../schemas/operations.ts';
import { consume } from '../use-cases/consume.ts';

/** The adapters of the quota-consumptions function: the data plane. */
export const consumptionHandlers: HandlerSet<'quota-consumptions'> = {
  consume: async (request, deps) => {
    const { path, body } = parseRequest('consume', request);
    if (!isWellFormedAppKey(body.app_key)) throw unknownAppKey();
    const outcome = await consume(deps, {
      projectId: path.project_id,
      instanceId: path.instance_id,
      appKey: body.app_key,
      cost: body.cost,
    });
    deps.metrics?.consumption({ instanceId: path.instance_id, admitted: outcome.admitted, cost: body.cost });
    return consumptionResponse(outcome);
  },
};
