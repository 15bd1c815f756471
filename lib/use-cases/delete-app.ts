import type { AppRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireApp } from './require-app.ts';
import { retryOvertaken } from './retry-overtaken.ts';

/**
 * Delete app. Primary course: read the app, then delete it, its name and key claims and its
 * binding (with its quota's count) in one transaction conditioned on what was read; overtaken by
 * a concurrent bind or unbind, read again. When there is nothing to delete, answer the right 404.
 */
export const deleteApp = async (deps: UseCaseDeps, { projectId, instanceId, appId }: AppRef): Promise<void> => {
  const outcome = await retryOvertaken(`delete of app ${appId}`, () =>
    deps.store.deleteApp(projectId, instanceId, appId),
  );
  if (outcome === 'missing') await requireApp(deps, { projectId, instanceId, appId });
};
