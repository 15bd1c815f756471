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
 * old secret no longer matches anything stored. The write is conditioned on the app as read, so a
 * repeat after an unknown outcome is safe: the secret of the last answer is the one that holds.
 */
export const resetAppSecret = async (
  deps: UseCaseDeps,
  { projectId, instanceId, appId, appSecret: given }: AppRef & { readonly appSecret: string | undefined },
): Promise<{ readonly app: App; readonly appSecret: string }> => {
  const appSecret = given ?? newCredential(32);
  let hash: string | undefined;
  const outcome = await retryOvertaken(`secret reset of app ${appId}`, async () => {
    const read = await deps.store.getApp(projectId, instanceId, appId);
    if (!read) return 'missing';
    hash ??= await hashSecret(appSecret);
    return deps.store.replaceAppSecret(
      projectId,
      instanceId,
      appId,
      { hash, readUpdateTime: read.updateTime },
      deps.clock.now(),
    );
  });
  return outcome === 'missing' ? missing(deps, projectId, instanceId, appId) : { app: outcome, appSecret };
};
