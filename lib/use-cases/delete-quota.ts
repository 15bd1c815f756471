import { instanceNotFound, quotaNotFound } from '#domain/errors.ts';
import { OVERTAKEN, type Overtaken } from '#domain/overtaken.ts';
import type { QuotaRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { retryOvertaken } from './retry-overtaken.ts';

/** How a run of a quota's delete ended. */
type DeleteRun = 'deleted' | 'gone' | 'not-deleting';

/**
 * The steps of a quota's delete, from wherever an earlier run stopped. `resumeOnly` takes up only
 * a delete already begun: a quota not marked deleting is left as it is ('not-deleting').
 */
const runDelete = async (
  deps: UseCaseDeps,
  projectId: string,
  instanceId: string,
  quotaId: string,
  resumeOnly: boolean,
): Promise<DeleteRun> => {
  const { store, clock } = deps;
  let seen = false;
  return retryOvertaken(`delete of quota ${quotaId}`, async (): Promise<DeleteRun | Overtaken> => {
    const found = await store.getQuota(projectId, instanceId, quotaId);
    if (!found) {
      // Gone after we saw it: a concurrent delete finished the job.
      return seen ? 'deleted' : 'gone';
    }
    if (resumeOnly && !found.deleting) return 'not-deleting';
    seen = true;
    // A rename or a bind racing the mark cancels it: read the quota again and mark it as it is now.
    if (!found.deleting && (await store.markQuotaDeleting(found.quota, clock.now())) === OVERTAKEN) return OVERTAKEN;
    // Marked deleting, no run of a split bind can commit any more: undo those in progress now.
    if (found.pendingBinds.length > 0) {
      await store.recoverSplitBinds(found.quota, found.pendingBinds, Number.POSITIVE_INFINITY);
    }
    for (;;) {
      const unbound = await store.unbindNextBatch(projectId, instanceId, quotaId, found.quota.subcounters);
      if (unbound === OVERTAKEN) return OVERTAKEN;
      if (unbound === 0) break;
    }
    return (await store.removeDeletedQuota(found.quota)) === OVERTAKEN ? OVERTAKEN : 'deleted';
  });
};

/**
 * Delete quota. Primary course, a sequence in which every step is one transaction and a crash
 * between steps leaves a state that any run of the same steps resumes from:
 * 1. mark the quota deleting, free its name and put its marker in the partition of deletes under
 *    way (it is gone for readers; no bind can commit);
 * 2. undo the split binds in progress, and unbind its apps a run at a time (as many as fit one
 *    transaction with their counters), each run with the quota's count;
 * 3. once none is bound, delete it, uncount it from its instance and delete its marker.
 * Nothing is unbound before step 1 holds. When it returns, every app that was bound is bindable.
 * When the client stops after step 1, nobody needs to repeat the DELETE: the sweep
 * ({@link finishQuotaDeletes}) takes up every marked delete, and a bind of one of its apps or a
 * create refused by the instance's limit finish what they need at once.
 */
export const deleteQuota = async (deps: UseCaseDeps, { projectId, instanceId, quotaId }: QuotaRef): Promise<void> => {
  if ((await runDelete(deps, projectId, instanceId, quotaId, false)) !== 'gone') return;
  throw (await deps.store.getInstance(projectId, instanceId)) ? quotaNotFound(quotaId) : instanceNotFound(instanceId);
};

/**
 * Finishes the delete of a quota already marked deleting (steps 2 and 3 above), as the DELETE
 * would: 'deleted' when it is done, 'gone' when there was no such quota any more, 'not-deleting'
 * for a quota whose delete has not begun (left alone).
 */
export const resumeQuotaDelete = (
  deps: UseCaseDeps,
  { projectId, instanceId, quotaId }: QuotaRef,
): Promise<DeleteRun> => runDelete(deps, projectId, instanceId, quotaId, true);
