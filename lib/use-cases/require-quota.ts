import { instanceNotFound, quotaNotFound } from '#domain/errors.ts';
import type { QuotaRef } from '#domain/refs.ts';
import type { VersionedQuota } from '#store/items/quota-item.ts';
import type { UseCaseDeps } from './ports.ts';

/**
 * The quota, or the right 404: `APIG.3030` when the instance itself is missing, else `APIG.3093`
 * (also for a quota whose delete has begun).
 * The instance is read only when the quota is missing, so the found path is one read. A quota
 * with split binds in progress first has the crashed ones among them undone.
 */
export const requireQuota = async (
  { store, clock }: UseCaseDeps,
  { projectId, instanceId, quotaId }: QuotaRef,
): Promise<VersionedQuota> => {
  let quota = await store.getQuota(projectId, instanceId, quotaId);
  // A split bind whose process died left its record: whoever reads the quota next after it went
  // stale undoes it (and reads the quota again), so its half is never seen for long.
  if (quota && !quota.deleting && quota.pendingBinds.length > 0) {
    await store.recoverSplitBinds(quota.quota, quota.pendingBinds, clock.now().getTime());
    quota = await store.getQuota(projectId, instanceId, quotaId);
  }
  if (quota && !quota.deleting) return quota;
  throw (await store.getInstance(projectId, instanceId)) ? quotaNotFound(quotaId) : instanceNotFound(instanceId);
};
