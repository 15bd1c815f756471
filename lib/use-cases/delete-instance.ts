import type { Deps } from '../deps.ts';
import { instanceNotEmpty, instanceNotFound } from '../domain/errors.ts';

/**
 * Delete instance. Primary course: delete it in one conditional request, which only succeeds when
 * it holds no apps and no quotas; otherwise 400 `CQ.4004` with what it still holds (nothing is
 * removed on the caller's behalf), or 404 `APIG.3030` when there is no such instance.
 */
export const deleteInstance = async ({ store }: Deps, projectId: string, instanceId: string): Promise<void> => {
  const outcome = await store.deleteInstance(projectId, instanceId);
  if (outcome.kind === 'missing') throw instanceNotFound(instanceId);
  if (outcome.kind === 'not-empty') throw instanceNotEmpty(instanceId, outcome.apps, outcome.quotas);
};
