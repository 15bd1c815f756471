import type { Quota } from '#domain/quota.ts';
import type { QuotaRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireQuota } from './require-quota.ts';

/** Show quota. Primary course: read it; 404 for a missing instance or quota. */
export const showQuota = async (deps: UseCaseDeps, { projectId, instanceId, quotaId }: QuotaRef): Promise<Quota> =>
  (await requireQuota(deps, { projectId, instanceId, quotaId })).quota;
