import { instanceNotEmpty, instanceNotFound } from '#domain/errors.ts';
import { OVERTAKEN } from '#domain/overtaken.ts';
import type { InstanceRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { retryOvertaken } from './retry-overtaken.ts';

/**
 * Delete instance. Primary course: delete it and uncount it from its project in one transaction,
 * which only succeeds when it holds no apps and no quotas; otherwise 400 `CQ.4004` with what it
 * still holds (nothing is removed on the caller's behalf), or 404 `APIG.3030` when there is no
 * such instance. Overtaken by a concurrent create or delete in the project, it tries again.
 */
export const deleteInstance = async ({ store }: UseCaseDeps, { projectId, instanceId }: InstanceRef): Promise<void> => {
  const outcome = await retryOvertaken(`delete of instance ${instanceId}`, async () => {
    const result = await store.deleteInstance(projectId, instanceId);
    return result.kind === OVERTAKEN ? OVERTAKEN : result;
  });
  if (outcome.kind === 'missing') throw instanceNotFound(instanceId);
  if (outcome.kind === 'not-empty') throw instanceNotEmpty(instanceId, outcome.apps, outcome.quotas);
};
