import { appNotFound, instanceNotFound } from '#domain/errors.ts';
import type { App } from '#domain/models.ts';
import type { AppRef, InstanceRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';

/**
 * The app, or the right 404: `APIG.3030` when the instance itself is missing, else `APIG.3004`.
 * The instance is read only when the app is missing, so the found path is one read.
 */
export const requireApp = async ({ store }: UseCaseDeps, { projectId, instanceId, appId }: AppRef): Promise<App> => {
  const app = await store.getApp(projectId, instanceId, appId);
  if (app) return app;
  throw (await store.getInstance(projectId, instanceId)) ? appNotFound(appId) : instanceNotFound(instanceId);
};

/** Throws 404 `APIG.3030` unless the instance exists in the project. */
export const requireInstance = async (
  { store }: UseCaseDeps,
  { projectId, instanceId }: InstanceRef,
): Promise<void> => {
  if (!(await store.getInstance(projectId, instanceId))) throw instanceNotFound(instanceId);
};
