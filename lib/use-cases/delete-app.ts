import type { Deps } from '../deps.ts';
import { requireApp } from './require-app.ts';

/**
 * Delete app. Primary course: delete the app, its name and key claims and its binding in one
 * transaction. When there was nothing to delete, answer the right 404.
 */
export const deleteApp = async (deps: Deps, projectId: string, instanceId: string, appId: string): Promise<void> => {
  if (await deps.store.deleteApp(projectId, instanceId, appId)) return;
  await requireApp(deps, projectId, instanceId, appId);
};
