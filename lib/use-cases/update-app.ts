import { appNotFound, instanceNotFound } from '#domain/errors.ts';
import { newCredential } from '#domain/ids.ts';
import type { App } from '#domain/models.ts';
import type { AppRef } from '#domain/refs.ts';
import { hashSecret } from '#domain/secrets.ts';
import type { UseCaseDeps } from './ports.ts';
import { retryOvertaken } from './retry-overtaken.ts';

/** The right 404 for an app that is not there: `APIG.3030` when its instance is missing too. */
const missing = async (
  { store }: UseCaseDeps,
  projectId: string,
  instanceId: string,
  appId: string,
): Promise<never> => {
  throw (await store.getInstance(projectId, instanceId)) ? appNotFound(appId) : instanceNotFound(instanceId);
};

/**
 * Update app. Primary course: read the app, then rename it (moving its name claim, so names stay
 * unique: 400 `CQ.4001` when taken) and set its remark in one transaction conditioned on what was
 * read; a concurrent change makes it read again.
 */
export const updateApp = async (
  deps: UseCaseDeps,
  { projectId, instanceId, appId, ...changes }: AppRef & { readonly name: string; readonly remark: string },
): Promise<App> => {
  const outcome = await retryOvertaken(`update of app ${appId}`, async () => {
    const result = await deps.store.updateApp(projectId, instanceId, appId, {
      ...changes,
      updateTime: deps.clock.now(),
    });
    return result;
  });
  return outcome === 'missing' ? missing(deps, projectId, instanceId, appId) : outcome;
};

/**
 * Reset an app's secret. Primary course: read the app (a missing one is answered 404 before any
 * hashing: scrypt is the expensive step, and a caller must not be able to spend it on nothing),
 * take the given secret or generate one, store only its hash, and hand it back this once; the
 * old secret no longer matches anything stored.
 */
export const resetAppSecret = async (
  deps: UseCaseDeps,
  { projectId, instanceId, appId, appSecret: given }: AppRef & { readonly appSecret: string | undefined },
): Promise<{ readonly app: App; readonly appSecret: string }> => {
  if (!(await deps.store.getApp(projectId, instanceId, appId))) return missing(deps, projectId, instanceId, appId);
  const appSecret = given ?? newCredential(32);
  const app = await deps.store.replaceAppSecret(
    projectId,
    instanceId,
    appId,
    await hashSecret(appSecret),
    deps.clock.now(),
  );
  return app ? { app, appSecret } : missing(deps, projectId, instanceId, appId);
};
