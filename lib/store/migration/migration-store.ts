import type { AppItem } from '#store/items/app-item.ts';
import type { CounterItem } from '#store/items/counter-item.ts';
import { batchGet, type Db, getItem, transact } from '#store/table/db.ts';
import { appKey, type Key } from '#store/table/keys.ts';
import { isLegacyApp, isLegacyBoundListing, type LegacyAppItem, legacyCounterOf } from './legacy-app.ts';

/** An UpdateItem's key and expressions that create `item` where no item is. */
const creatingUpdate = ({ pk, sk, ...attributes }: CounterItem) => {
  const names = Object.keys(attributes);
  return {
    Key: { pk, sk },
    UpdateExpression: `SET ${names.map((_, n) => `#a${n} = :a${n}`).join(', ')}`,
    ConditionExpression: 'attribute_not_exists(pk)',
    ExpressionAttributeNames: Object.fromEntries(names.map((name, n) => [`#a${n}`, name])),
    ExpressionAttributeValues: Object.fromEntries(
      names.map((name, n) => [`:a${n}`, (attributes as Record<string, unknown>)[name]]),
    ),
  };
};

/**
 * Moves one app of the old layout to this one, in one transaction: its counter is created with
 * the binding's settings and the usage of the open window as the app item held them, and the app
 * item loses them (and gains `subcounters`), conditioned on the app item being exactly as read
 * (same binding, same last counted call). Safe to run twice and while traffic flows: a second run
 * or a concurrent change cancels it, and the caller reads again. True when this call moved it.
 */
export const migrateApp = (db: Db, item: LegacyAppItem): Promise<boolean> =>
  transact(db, [
    // An Update that creates the counter, not a Put: the data plane, which moves an app on its
    // first consume, is granted UpdateItem and GetItem only.
    { Update: { TableName: db.tableName, ...creatingUpdate(legacyCounterOf(item)) } },
    {
      Update: {
        TableName: db.tableName,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression:
          'SET subcounters = :one REMOVE limit_units, window_ms, anchor_ms, config_version, window_end_ms, remaining, last_consume',
        ConditionExpression:
          'attribute_not_exists(subcounters) AND ' +
          (item.lsi2sk === undefined ? 'attribute_not_exists(lsi2sk)' : 'lsi2sk = :binding') +
          (item.last_consume === undefined ? ' AND attribute_not_exists(last_consume)' : ' AND last_consume = :last'),
        ExpressionAttributeValues: {
          ':one': 1,
          ...(item.lsi2sk === undefined ? {} : { ':binding': item.lsi2sk }),
          ...(item.last_consume === undefined ? {} : { ':last': item.last_consume }),
        },
      },
    },
  ]);

/** How many times a migration reads an app whose move a change raced again before giving up. */
export const MIGRATION_PASSES = 10;

/**
 * First touch of an app by the data plane: if its item is of the old layout, move it (one
 * attempt; a cancelled one means someone else changed or moved it, and the caller reads again).
 */
export const migrateAppById = async (db: Db, projectId: string, instanceId: string, appId: string): Promise<void> => {
  const item = await getItem<LegacyAppItem>(db, appKey(projectId, instanceId, appId));
  if (item && isLegacyApp(item)) await migrateApp(db, item);
};

/**
 * Reads app items, moving any of the old layout to this one first (its first touch since the
 * deployment), so every caller works on apps with counters.
 */
export const readMigratedApps = async (db: Db, keys: readonly Key[]): Promise<AppItem[]> => {
  for (let pass = 0; pass < MIGRATION_PASSES; pass += 1) {
    const items = await batchGet<AppItem>(db, keys);
    const legacy = items.filter(isLegacyApp);
    if (legacy.length === 0) return items;
    await Promise.all(legacy.map((item) => migrateApp(db, item as LegacyAppItem)));
  }
  throw new Error('apps of the old layout could not be migrated');
};

/**
 * Moves the bound apps of the old layout among `listed` (as the binding index shows them) to this
 * layout; true when there were any, so the caller reads its list again.
 */
export const migrateListedApps = async (db: Db, listed: readonly AppItem[]): Promise<boolean> => {
  const legacy = listed.filter((item) => isLegacyBoundListing(item as LegacyAppItem));
  if (legacy.length === 0) return false;
  await readMigratedApps(
    db,
    legacy.map((item) => ({ pk: item.pk, sk: item.sk })),
  );
  return true;
};
