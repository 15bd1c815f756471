import { type AppItem, appFromItem } from '#store/items/app-item.ts';
import { type CounterItem, counterKeys } from '#store/items/counter-item.ts';
import { isLegacyApp, type LegacyAppItem } from '#store/migration/legacy-app.ts';
import { migrateApp } from '#store/migration/migration-store.ts';
import { batchGet, type Db } from '#store/table/db.ts';
import type { Key } from '#store/table/keys.ts';
import { getAppItem } from './app-store.ts';

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
