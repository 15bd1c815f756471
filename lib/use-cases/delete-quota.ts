import type { Deps } from '../deps.ts';
import { instanceNotFound, quotaNotFound } from '../domain/errors.ts';
import { retryOvertaken } from './retry-overtaken.ts';

/**
 * Delete quota. Primary course, a sequence in which every step is one transaction and a crash
 * between steps leaves a state the next DELETE resumes from:
 * 1. mark the quota deleting and free its name (it is gone for readers; no bind can commit);
 * 2. unbind its apps 99 at a time, each batch with the quota's count;
 * 3. once none is bound, delete it and uncount it from its instance.
 * When it returns, every app that was bound is bindable again.
 */
export const deleteQuota = async (
  deps: Deps,
  projectId: string,
  instanceId: string,
  quotaId: string,
): Promise<void> => {
  const { store } = deps;
  const found = await store.getQuota(projectId, instanceId, quotaId);
  if (!found) {
    throw (await store.getInstance(projectId, instanceId)) ? quotaNotFound(quotaId) : instanceNotFound(instanceId);
  }
  const { quota } = found;
  if (!found.deleting) await store.markQuotaDeleting(quota);
  await retryOvertaken(`delete of quota ${quotaId}`, async () => {
    for (;;) {
      const unbound = await store.unbindNextBatch(projectId, instanceId, quotaId);
      if (unbound === -1) return undefined;
      if (unbound === 0) break;
    }
    if (await store.removeDeletedQuota(quota)) return true;
    // Still present: either a batch raced an app delete, or it is already gone (a concurrent delete).
    return (await store.getQuota(projectId, instanceId, quotaId)) ? undefined : true;
  });
};
