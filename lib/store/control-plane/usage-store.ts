import type { AppBinding } from '#domain/models.ts';
import type { Quota } from '#domain/quota.ts';
import { type AppItem, appFromItem } from '#store/items/app-item.ts';
import { type CounterItem, counterKeys } from '#store/items/counter-item.ts';
import { isLegacyApp, type LegacyAppItem } from '#store/migration/legacy-app.ts';
import { migrateApp } from '#store/migration/migration-store.ts';
import { batchGet, type Db } from '#store/table/db.ts';
import type { Key } from '#store/table/keys.ts';
import { getAppItem } from './app-store.ts';
import { listAllBoundApps } from './binding-store.ts';

/** These counters (those that exist), strongly consistent. */
export const getCounters = (db: Db, keys: readonly Key[]): Promise<CounterItem[]> => batchGet<CounterItem>(db, keys);

/** The keys of every counter of an app's credential, from its item (1 sub-counter for an item without the count). */
export const usageCounterKeys = (item: AppItem): Key[] => counterKeys(appFromItem(item), item.subcounters ?? 1);

/**
 * Every counter of an app's credential as the usage route reads them (strongly consistent): the
 * app item (for its key and how many sub-counters it has; an app of the old layout is moved on
 * this first touch), then its counters. Undefined when there is no such app.
 */
export const getUsageCounters = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appId: string,
): Promise<CounterItem[] | undefined> => {
  for (let pass = 0; pass < 10; pass += 1) {
    const item = await getAppItem(db, projectId, instanceId, appId);
    if (!item) return undefined;
    if (isLegacyApp(item)) {
      await migrateApp(db, item as LegacyAppItem);
      continue;
    }
    const counters = await getCounters(db, usageCounterKeys(item));
    return counters.sort((a, b) => a.subcounter - b.subcounter);
  }
  throw new Error(`app ${appId} of the old layout could not be migrated`);
};

/** A bound app with its credential's counters, sorted by sub-counter (the main one first). */
export interface BoundAppCounters {
  readonly binding: AppBinding;
  readonly counters: readonly CounterItem[];
}

/**
 * Every app bound to a quota with its counters, as the quota's usage list reads them: one Query of
 * the binding index (a quota holds at most the instance's apps), then each one's sub-counters (the
 * quota's count, which an update cannot change) in one BatchGetItem per 100 keys, in parallel
 * (strongly consistent).
 */
export const getBoundAppCounters = async (db: Db, quota: Quota): Promise<BoundAppCounters[]> => {
  const bindings = await listAllBoundApps(db, quota.projectId, quota.instanceId, quota.quotaId);
  const counters = await getCounters(
    db,
    bindings.flatMap((binding) => counterKeys(binding.app, quota.subcounters)),
  );
  const byApp = Map.groupBy(counters, (counter) => counter.app_id);
  return bindings.map((binding) => ({
    binding,
    counters: (byApp.get(binding.app.appId) ?? []).sort((a, b) => a.subcounter - b.subcounter),
  }));
};
