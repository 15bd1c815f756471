import { noBoundQuota } from '#domain/errors.ts';
import type { Quota } from '#domain/quota.ts';
import type { AppRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireApp } from './require-app.ts';
import { requireQuota } from './require-quota.ts';

/**
 * Show an app's bound quota. Primary course: read the app's binding (404 for a missing instance or
 * app), then its quota; 404 `APIG.3093` when it is bound to none.
 */
export const showAppQuota = async (deps: UseCaseDeps, { projectId, instanceId, appId }: AppRef): Promise<Quota> => {
  const binding = (await deps.store.getAppBindings(projectId, instanceId, [appId])).get(appId);
  if (!binding) await requireApp(deps, { projectId, instanceId, appId });
  if (!binding?.quotaId) throw noBoundQuota(appId);
  return (await requireQuota(deps, { projectId, instanceId, quotaId: binding.quotaId })).quota;
};
