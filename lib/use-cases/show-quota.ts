import type { Quota } from '#domain/quota.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireQuota } from './require-quota.ts';

/** Show quota. Primary course: read it; 404 for a missing instance or quota. */
export const showQuota = async (
  deps: UseCaseDeps,
  projectId: string,
  instanceId: string,
  quotaId: string,
): Promise<Quota> => (await requireQuota(deps, projectId, instanceId, quotaId)).quota;
