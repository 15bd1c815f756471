import type { App } from '#domain/models.ts';
import { appKey, appListKey, unboundAppKey } from '#store/table/keys.ts';

/** The stored form of an app. */
export interface AppItem {
  readonly pk: string;
  readonly sk: string;
  readonly type: 'app';
  readonly lsi1sk: string;
  /** Present while the app is bound to no quota (the bindable-apps order) or bound (bound-apps order). */
  readonly lsi2sk?: string;
  readonly project_id: string;
  readonly instance_id: string;
  readonly app_id: string;
  readonly name: string;
  readonly name_lc: string;
  readonly remark: string;
  readonly status: 1 | 2;
  readonly app_key: string;
  /** Only on the base item: no list projects it. */
  readonly secret_hash?: string;
  readonly register_time: string;
  readonly update_time: string;
  /** The quota the app is bound to, and since when; absent while unbound. */
  readonly quota_id?: string;
  readonly bound_time?: string;
  /**
   * How many sub-counters the app's credential has (1 unbound, the quota's count while bound), so
   * that an unbind or a delete reaches each of them. Every item written by this layout has it; an
   * app item without it is of the layout before counters, which `migrateApp` moves.
   */
  readonly subcounters?: number;
  /**
   * The client token its create's answer is recorded under, while that answer holds its secret:
   * a delete removes the record with the app, a secret reset drops it (see `replaceAppSecret`).
   */
  readonly client_token?: string;
}

/** The stored form of a new app: unbound, listed by name, one sub-counter. */
export const appItemOf = (app: App, secretHash: string, clientToken?: string): AppItem => ({
  ...appKey(app.projectId, app.instanceId, app.appId),
  type: 'app',
  lsi1sk: appListKey(app.name, app.appId),
  lsi2sk: unboundAppKey(app.name, app.appId),
  project_id: app.projectId,
  instance_id: app.instanceId,
  app_id: app.appId,
  name: app.name,
  name_lc: app.name.toLowerCase(),
  remark: app.remark,
  status: app.status,
  app_key: app.appKey,
  secret_hash: secretHash,
  register_time: app.registerTime.toISOString(),
  update_time: app.updateTime.toISOString(),
  subcounters: 1,
  ...(clientToken === undefined ? {} : { client_token: clientToken }),
});

/** The domain form of a stored app. */
export const appFromItem = (item: AppItem): App => ({
  projectId: item.project_id,
  instanceId: item.instance_id,
  appId: item.app_id,
  name: item.name,
  remark: item.remark,
  status: item.status,
  appKey: item.app_key,
  registerTime: new Date(item.register_time),
  updateTime: new Date(item.update_time),
});
