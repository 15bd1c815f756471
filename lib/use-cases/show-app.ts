import type { App } from '#domain/models.ts';
import type { AppRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireApp } from './require-app.ts';

/** Show app. Primary course: read the app of the instance; 404 for a missing instance or app. */
export const showApp = (deps: UseCaseDeps, { projectId, instanceId, appId }: AppRef): Promise<App> =>
  requireApp(deps, { projectId, instanceId, appId });
