import type { Deps } from '../deps.ts';
import { instanceNotFound, quotaNotFound } from '../domain/errors.ts';
import type { VersionedQuota } from '../store/quota-store.ts';

/**
 * The quota, or the right 404: `APIG.3030` when the instance itself is missing, else `APIG.3093`
 * (also for a quota whose delete has begun).
 * The instance is read only when the quota is missing, so the found path is one read.
 */
export const requireQuota = async (
  { store }: Deps,
  projectId: string,
  instanceId: string,
  quotaId: string,
): Promise<VersionedQuota> => {
  const quota = await store.getQuota(projectId, instanceId, quotaId);
  if (quota && !quota.deleting) return quota;
  throw (await store.getInstance(projectId, instanceId)) ? quotaNotFound(quotaId) : instanceNotFound(instanceId);
};
