import { ScanCommand } from '@aws-sdk/lib-dynamodb';
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
const MIGRATION_PASSES = 10;

/** What one page of the table's Scan came to (a dry run counts the apps it would move as moved). */
export interface MigrationPage {
  /** 1, or more when apps a change raced were read again. */
  readonly pass: number;
  /** Its place in the pass, from 1. */
  readonly page: number;
  /** Items the Scan read, of every type. */
  readonly itemsRead: number;
  readonly apps: number;
  readonly moved: number;
  readonly alreadyMigrated: number;
  /** Apps whose move a concurrent change cancelled: the next pass reads them again. */
  readonly leftBehind: number;
}

/** What `npm run migrate` did (a dry run: would do). */
export interface MigrationReport {
  readonly apps: number;
  readonly moved: number;
  readonly alreadyMigrated: number;
  /** Where a stop (the signal) ended the run: what it counts is done, and a run again does the rest. */
  readonly stoppedAt?: { readonly pass: number; readonly page: number };
}

/** How `npm run migrate` goes over the table. */
export interface MigrationOptions {
  /** Only read and count: the apps of the old layout are counted as moved, and nothing is written. */
  readonly dryRun?: boolean;
  /** Items each Scan reads at most (DynamoDB's 1 MB otherwise): how often `onPage` is told. */
  readonly pageSize?: number;
  /** Told after each page. */
  readonly onPage?: (page: MigrationPage) => void;
  /** Ends the run between two apps (a move either landed or was never sent). */
  readonly signal?: AbortSignal;
}

/**
 * The one-shot migration of a whole table (`npm run migrate`), never a request path: scans it
 * and moves every app of the old layout. An app whose move is cancelled (traffic changed it, or a
 * first-touch move beat us) is read again by the next pass until none is left. Stopped at any
 * point (the signal, or the process killed), the table holds whole moves only, and a run again
 * moves the rest; the counts of apps and of those already moved are the first pass's.
 */
export const migrateTable = async (db: Db, options: MigrationOptions = {}): Promise<MigrationReport> => {
  const { dryRun = false, pageSize, onPage, signal } = options;
  let apps = 0;
  let moved = 0;
  let alreadyMigrated = 0;
  const report = () => ({ apps, moved, alreadyMigrated });
  for (let pass = 1; pass <= MIGRATION_PASSES; pass += 1) {
    let leftBehind = 0;
    let start: Record<string, unknown> | undefined;
    let page = 0;
    do {
      if (signal?.aborted) return { ...report(), stoppedAt: { pass, page: page + 1 } };
      const scanned = await db.client.send(
        new ScanCommand({
          TableName: db.tableName,
          ConsistentRead: true,
          FilterExpression: '#type = :app',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':app': 'app' },
          ExclusiveStartKey: start,
          ...(pageSize === undefined ? {} : { Limit: pageSize }),
        }),
      );
      page += 1;
      const tally = { apps: 0, moved: 0, alreadyMigrated: 0, leftBehind: 0 };
      for (const item of (scanned.Items ?? []) as LegacyAppItem[]) {
        if (signal?.aborted) return { ...report(), stoppedAt: { pass, page } };
        tally.apps += 1;
        if (pass === 1) apps += 1;
        if (!isLegacyApp(item)) {
          tally.alreadyMigrated += 1;
          if (pass === 1) alreadyMigrated += 1;
        } else if (dryRun || (await migrateApp(db, item))) {
          tally.moved += 1;
          moved += 1;
        } else {
          tally.leftBehind += 1;
          leftBehind += 1;
        }
      }
      onPage?.({ pass, page, itemsRead: scanned.ScannedCount ?? 0, ...tally });
      start = scanned.LastEvaluatedKey;
    } while (start);
    if (leftBehind === 0) return report();
  }
  throw new Error(`apps still left behind after ${MIGRATION_PASSES} passes: run it again`);
};

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
