import { appNotFound } from '#domain/errors.ts';
import type { BindingRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireQuota } from './require-quota.ts';
import { retryOvertaken } from './retry-overtaken.ts';

/**
 * Unbind app. Primary course: read the quota (404 when missing) and the app; unless the app is
 * bound to this quota (404 `APIG.3004`), unbind it with the quota's count in one transaction,
 * which removes its usage too.
 */
export const unbindApp = (deps: UseCaseDeps, { projectId, instanceId, quotaId, appId }: BindingRef) =>
  retryOvertaken(`unbind of app ${appId}`, async () => {
    const [, bindings] = await Promise.all([
      requireQuota(deps, { projectId, instanceId, quotaId }),
      deps.store.getAppBindings(projectId, instanceId, [appId]),
    ]);
    const binding = bindings.get(appId);
    if (!binding || binding.quotaId !== quotaId) throw appNotFound(appId);
    return deps.store.unbindApp(binding, quotaId);
  });
