import type { Deps } from '../deps.ts';
import { instanceNotFound, resourceLimitExceeded } from '../domain/errors.ts';
import { newCredential, newId } from '../domain/ids.ts';
import type { App } from '../domain/models.ts';
import { hashSecret } from '../domain/secrets.ts';
import { retryOvertaken } from './retry-overtaken.ts';

/** What creating an app takes. */
export interface CreateAppInput {
  readonly projectId: string;
  readonly instanceId: string;
  readonly name: string;
  readonly remark: string;
  readonly appKey?: string | undefined;
  readonly appSecret?: string | undefined;
}

/** A new app with its secret, which is shown this once and stored only as a hash. */
export interface CreatedApp {
  readonly app: App;
  readonly appSecret: string;
}

/**
 * Create app. Primary course: generate the id (and key and secret when not given), hash the
 * secret, store the app; the store enforces the instance's existence, the apps-per-instance limit
 * and the uniqueness of name and key in one transaction. Hashing costs ~50 ms of CPU, so one small
 * read first turns away a missing or full instance before any is spent; the transaction still
 * decides, so a race with another create is settled by DynamoDB, not by that read.
 */
export const createApp = async ({ store, clock, limits }: Deps, input: CreateAppInput): Promise<CreatedApp> => {
  const counts = await store.getInstanceCounts(input.projectId, input.instanceId);
  if (!counts) throw instanceNotFound(input.instanceId);
  if (counts.apps >= limits.appsPerInstance) throw resourceLimitExceeded();
  const now = clock.now();
  const appSecret = input.appSecret ?? newCredential(32);
  const app: App = {
    projectId: input.projectId,
    instanceId: input.instanceId,
    appId: newId(),
    name: input.name,
    remark: input.remark,
    status: 1,
    appKey: input.appKey ?? newCredential(32),
    registerTime: now,
    updateTime: now,
  };
  const secretHash = await hashSecret(appSecret);
  await retryOvertaken(`create of app ${app.name}`, async () =>
    (await store.createApp(app, secretHash, limits.appsPerInstance)) ? true : undefined,
  );
  return { app, appSecret };
};
