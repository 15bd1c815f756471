import * as accessKeys from '#store/access-keys/access-key-store.ts';
import * as consumption from '#store/data-plane/counter-store.ts';
import { getInstance } from '#store/data-plane/instance-read.ts';
import { getQuotaState } from '#store/data-plane/quota-state-store.ts';
import * as migration from '#store/migration/migration-store.ts';
import type { Db } from '#store/table/db.ts';
import * as apps from './app-store.ts';
import * as appUpdates from './app-update-store.ts';
import * as bindings from './binding-store.ts';
import * as clientTokens from './client-token-store.ts';
import * as instances from './instance-store.ts';
import * as quotas from './quota-store.ts';
import * as quotaUpdates from './quota-update-store.ts';
import * as usageHistory from './usage-history-store.ts';
import * as usage from './usage-store.ts';

/** The data adapter the use cases call; every method is one operation's DynamoDB work. */
export const createStore = (db: Db) => ({
  putInstance: (...args: Tail<typeof instances.putInstance>) => instances.putInstance(db, ...args),
  getInstance: (...args: Tail<typeof getInstance>) => getInstance(db, ...args),
  getInstanceCounts: (...args: Tail<typeof instances.getInstanceCounts>) => instances.getInstanceCounts(db, ...args),
  listInstances: (...args: Tail<typeof instances.listInstances>) => instances.listInstances(db, ...args),
  deleteInstance: (...args: Tail<typeof instances.deleteInstance>) => instances.deleteInstance(db, ...args),
  createApp: (...args: Tail<typeof apps.createApp>) => apps.createApp(db, ...args),
  getClientToken: (...args: Tail<typeof clientTokens.getClientToken>) => clientTokens.getClientToken(db, ...args),
  appHoldsClientToken: (...args: Tail<typeof clientTokens.appHoldsClientToken>) =>
    clientTokens.appHoldsClientToken(db, ...args),
  getApp: (...args: Tail<typeof apps.getApp>) => apps.getApp(db, ...args),
  listApps: (...args: Tail<typeof apps.listApps>) => apps.listApps(db, ...args),
  deleteApp: (...args: Tail<typeof apps.deleteApp>) => apps.deleteApp(db, ...args),
  updateApp: (...args: Tail<typeof appUpdates.updateApp>) => appUpdates.updateApp(db, ...args),
  replaceAppSecret: (...args: Tail<typeof appUpdates.replaceAppSecret>) => appUpdates.replaceAppSecret(db, ...args),
  createQuota: (...args: Tail<typeof quotas.createQuota>) => quotas.createQuota(db, ...args),
  getQuota: (...args: Tail<typeof quotas.getQuota>) => quotas.getQuota(db, ...args),
  getAppBindings: (...args: Tail<typeof bindings.getAppBindings>) => bindings.getAppBindings(db, ...args),
  bindApps: (...args: Tail<typeof bindings.bindApps>) => bindings.bindApps(db, ...args),
  listBoundApps: (...args: Tail<typeof bindings.listBoundApps>) => bindings.listBoundApps(db, ...args),
  listBindableApps: (...args: Tail<typeof bindings.listBindableApps>) => bindings.listBindableApps(db, ...args),
  unbindApp: (...args: Tail<typeof bindings.unbindApp>) => bindings.unbindApp(db, ...args),
  unbindNextBatch: (...args: Tail<typeof bindings.unbindNextBatch>) => bindings.unbindNextBatch(db, ...args),
  findAppIdByKey: (...args: Tail<typeof consumption.findAppIdByKey>) => consumption.findAppIdByKey(db, ...args),
  consumeInWindow: (...args: Tail<typeof consumption.consumeInWindow>) => consumption.consumeInWindow(db, ...args),
  openWindow: (...args: Tail<typeof consumption.openWindow>) => consumption.openWindow(db, ...args),
  getCounter: (...args: Tail<typeof consumption.getCounter>) => consumption.getCounter(db, ...args),
  getUsageCounters: (...args: Tail<typeof usage.getUsageCounters>) => usage.getUsageCounters(db, ...args),
  listUsageHistory: (...args: Tail<typeof usageHistory.listUsageHistory>) => usageHistory.listUsageHistory(db, ...args),
  getBoundAppCounters: (...args: Tail<typeof usage.getBoundAppCounters>) => usage.getBoundAppCounters(db, ...args),
  migrateAppById: (...args: Tail<typeof migration.migrateAppById>) => migration.migrateAppById(db, ...args),
  recoverSplitBinds: (...args: Tail<typeof bindings.recoverSplitBinds>) => bindings.recoverSplitBinds(db, ...args),
  listQuotas: (...args: Tail<typeof quotas.listQuotas>) => quotas.listQuotas(db, ...args),
  updateQuota: (...args: Tail<typeof quotaUpdates.updateQuota>) => quotaUpdates.updateQuota(db, ...args),
  listQuotaUpdates: (...args: Tail<typeof quotaUpdates.listQuotaUpdates>) => quotaUpdates.listQuotaUpdates(db, ...args),
  catchUpQuotaCounters: (...args: Tail<typeof quotaUpdates.catchUpQuotaCounters>) =>
    quotaUpdates.catchUpQuotaCounters(db, ...args),
  removeQuotaUpdateMarker: (...args: Tail<typeof quotaUpdates.removeQuotaUpdateMarker>) =>
    quotaUpdates.removeQuotaUpdateMarker(db, ...args),
  markQuotaDeleting: (...args: Tail<typeof quotas.markQuotaDeleting>) => quotas.markQuotaDeleting(db, ...args),
  removeDeletedQuota: (...args: Tail<typeof quotas.removeDeletedQuota>) => quotas.removeDeletedQuota(db, ...args),
  listQuotaDeletes: (...args: Tail<typeof quotas.listQuotaDeletes>) => quotas.listQuotaDeletes(db, ...args),
  removeStaleQuotaDeleteMarker: (...args: Tail<typeof quotas.removeStaleQuotaDeleteMarker>) =>
    quotas.removeStaleQuotaDeleteMarker(db, ...args),
  getQuotaState: (...args: Tail<typeof getQuotaState>) => getQuotaState(db, ...args),
  releaseFromDeletedQuota: (...args: Tail<typeof bindings.releaseFromDeletedQuota>) =>
    bindings.releaseFromDeletedQuota(db, ...args),
  createAccessKey: (...args: Tail<typeof accessKeys.createAccessKey>) => accessKeys.createAccessKey(db, ...args),
  getAccessKey: (...args: Tail<typeof accessKeys.getAccessKey>) => accessKeys.getAccessKey(db, ...args),
  listAccessKeys: (...args: Tail<typeof accessKeys.listAccessKeys>) => accessKeys.listAccessKeys(db, ...args),
  revokeAccessKey: (...args: Tail<typeof accessKeys.revokeAccessKey>) => accessKeys.revokeAccessKey(db, ...args),
});

/** The store's interface. */
export type Store = ReturnType<typeof createStore>;

// biome-ignore lint/suspicious/noExplicitAny: a parameter list of any function
type Tail<F> = F extends (db: Db, ...rest: infer R) => any ? R : never;
