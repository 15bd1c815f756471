import type { App } from '#domain/models.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireApp } from './require-app.ts';

/** Show app. Primary course: read the app of the instance; 404 for a missing instance or app. */
export const showApp = (deps: UseCaseDeps, projectId: string, instanceId: string, appId: string): Promise<App> =>
  requireApp(deps, projectId, instanceId, appId);
