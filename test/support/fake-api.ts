import { depsOver } from '#app/control-plane-deps.ts';
import type { Instance } from '#domain/models.ts';
import type { Store } from '#store/control-plane/store.ts';
import { callerOver, type TestApi } from './api-client.ts';
import { type FakeStore, fakeStore } from './fake-store.ts';
import { testDepsConfig } from './tokens.ts';

/** The three functions' handlers, as a test deployment builds them, over an in-memory fake store. */
export interface FakeApi extends Omit<TestApi, 'db'> {
  readonly fake: FakeStore;
}

/**
 * The functions over a {@link fakeStore} answering with `methods`: for tests of what the handler
 * stack decides before or without stored data (auth, routing, validation, metrics of refusals).
 */
export const createFakeApi = (methods: Partial<Store>): FakeApi => {
  const fake = fakeStore(methods);
  return { fake, ...callerOver(depsOver(fake.store, testDepsConfig())) };
};

const emptyPage = async () => ({ total: 0, items: [] });

/**
 * The answers of a store that holds nothing, as the DynamoDB store answers over an empty table:
 * every lookup finds nothing, every list is empty, every delete finds nothing to delete. Writes
 * that would create something are left out: a test that reaches one needs a real table.
 */
export const EMPTY_STORE: Partial<Store> = {
  getInstance: async () => undefined,
  getInstanceCounts: async () => undefined,
  getApp: async () => undefined,
  getQuota: async () => undefined,
  getClientToken: async () => undefined,
  getAppBindings: async () => new Map(),
  getUsageCounters: async () => undefined,
  getBoundAppCounters: async () => [],
  findAppIdByKey: async () => undefined,
  consumeInWindow: async () => ({ kind: 'missing' }),
  replaceAppSecret: async () => 'missing',
  listInstances: emptyPage,
  listApps: emptyPage,
  listQuotas: emptyPage,
  listBoundApps: emptyPage,
  listBindableApps: emptyPage,
  listUsageHistory: emptyPage,
  deleteApp: async () => 'missing',
  deleteInstance: async () => ({ kind: 'missing' }),
};

/** The answers of a store that holds one instance with nothing in it: apps, quotas, keys all missing. */
export const storeHolding = (instance: Instance): Partial<Store> => ({
  ...EMPTY_STORE,
  getInstance: async (projectId, instanceId) =>
    projectId === instance.projectId && instanceId === instance.instanceId ? instance : undefined,
  getInstanceCounts: async (projectId, instanceId) =>
    projectId === instance.projectId && instanceId === instance.instanceId ? { apps: 0, quotas: 0 } : undefined,
});

/** A fresh project's fake API whose store holds one empty instance `instanceId` (named `gateway`). */
export const fakeApiWithInstance = (projectId: string, instanceId: string): FakeApi =>
  createFakeApi(storeHolding({ projectId, instanceId, name: 'gateway', description: '', createTime: new Date() }));
