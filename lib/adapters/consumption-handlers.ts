import { isWellFormedAppKey } from '#domain/consume-rules.ts';
import { unknownAppKey } from '#domain/errors.ts';
import { consumptionResponse } from '#http/consumption-response.ts';
import type { HandlerDeps, HandlerSet } from '#http/function-handler.ts';
import { parseConsumeRequest } from '#schemas/consume-request.ts';
import { type ConsumeDeps, consume } from '#use-cases/consume/consume.ts';

/** The adapters of the quota-consumptions function: the data plane. */
export const consumptionHandlers: HandlerSet<'quota-consumptions', ConsumeDeps & Pick<HandlerDeps, 'metrics'>> = {
  consume: async (request, deps) => {
    const { projectId, instanceId, appKey, cost } = parseConsumeRequest(request);
    if (!isWellFormedAppKey(appKey)) throw unknownAppKey();
    const outcome = await consume(deps, { projectId, instanceId, appKey, cost });
    deps.metrics?.consumption({ projectId, instanceId, appKey, admitted: outcome.admitted, cost });
    return consumptionResponse(outcome);
  },
};
