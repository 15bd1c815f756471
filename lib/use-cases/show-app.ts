import type { Deps } from '#app/control-plane-deps.ts';
import type { App } from '#domain/models.ts';
import { requireApp } from './require-app.ts';

/** Show app. Primary course: read the app of the instance; 404 for a missing instance or app. */
export const showApp = (deps: Deps, projectId: string, instanceId: string, appId: string): Promise<App> =>
  requireApp(deps, projectId, instanceId, appId);
