import type { Deps } from '../deps.ts';
import { instanceNotFound, quotaNotFound } from '../domain/errors.ts';
import { retryOvertaken } from './retry-overtaken.ts';

/**
 * Delete quota. Primary course, a sequence in which every step is one transaction and a crash
 * between steps leaves a state the next DELETE resumes from:
 * 1. mark the quota deleting and free its name (it is gone for readers; no bind can commit);
 * 2. undo the split binds in progress, and unbind its apps a run at a time (as many as fit one
 *    transaction with their counters), each run with the quota's count;
 * 3. once none is bound, delete it and uncount it from its instance.
 * Nothing is unbound before step 1 holds. When it returns, every app that was bound is bindable.
 */
export const deleteQuota = async (
  deps: Deps,
  projectId: string,
  instanceId: string,
  quotaId: string,
): Promise<void> => {
  const { store } = deps;
  let seen = false;
  await retryOvertaken(`delete of quota ${quotaId}`, async () => {
    const found = await store.getQuota(projectId, instanceId, quotaId);
    if (!found) {
      // Gone after we saw it: a concurrent delete finished the job.
      if (seen) return true;
      throw (await store.getInstance(projectId, instanceId)) ? quotaNotFound(quotaId) : instanceNotFound(instanceId);
    }
    seen = true;
    // A rename or a bind racing the mark cancels it: read the quota again and mark it as it is now.
    if (!found.deleting && !(await store.markQuotaDeleting(found.quota))) return undefined;
    // Marked deleting, no run of a split bind can commit any more: undo those in progress now.
    if (found.pendingBinds.length > 0) {
      await store.recoverSplitBinds(found.quota, found.pendingBinds, Number.POSITIVE_INFINITY);
    }
    for (;;) {
      const unbound = await store.unbindNextBatch(projectId, instanceId, quotaId, found.quota.subcounters);
      if (unbound === -1) return undefined;
      if (unbound === 0) break;
    }
    return (await store.removeDeletedQuota(found.quota)) ? true : undefined;
  });
};
