import { migrateAppById } from '#store/migration/migration-store.ts';
import type { Db } from '#store/table/db.ts';
import * as consumption from './counter-store.ts';
import { getInstance } from './instance-read.ts';
import { getQuotaState } from './quota-state-store.ts';

/**
 * The part of the store that consume calls, and nothing else: the data plane and the packaged
 * guard build this one, so that their bundles do not carry the control plane's stores.
 */
export const createConsumeStore = (db: Db) => ({
  getInstance: (projectId: string, instanceId: string) => getInstance(db, projectId, instanceId),
  findAppIdByKey: (...args: Tail<typeof consumption.findAppIdByKey>) => consumption.findAppIdByKey(db, ...args),
  consumeInWindow: (...args: Tail<typeof consumption.consumeInWindow>) => consumption.consumeInWindow(db, ...args),
  openWindow: (...args: Tail<typeof consumption.openWindow>) => consumption.openWindow(db, ...args),
  getCounter: (...args: Tail<typeof consumption.getCounter>) => consumption.getCounter(db, ...args),
  migrateAppById: (projectId: string, instanceId: string, appId: string) =>
    migrateAppById(db, projectId, instanceId, appId),
  getQuotaState: (projectId: string, instanceId: string, quotaId: string) =>
    getQuotaState(db, projectId, instanceId, quotaId),
});

/** What consume needs of the store; the whole store ({@link createConsumeStore}'s superset) has it too. */
export type ConsumeStore = ReturnType<typeof createConsumeStore>;

// biome-ignore lint/suspicious/noExplicitAny: a parameter list of any function
type Tail<F> = F extends (db: Db, ...rest: infer R) => any ? R : never;
