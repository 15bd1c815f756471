import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type AppItem, getAppItem } from '#store/control-plane/app-store.ts';
import type { CounterItem } from '#store/data-plane/counter-store.ts';
import { type Db, transact } from '#store/table/db.ts';
import { counterKey } from '#store/table/keys.ts';

/**
 * An app item as the layout before counters wrote it: the bound quota's settings and the usage
 * were attributes of the app item itself, in the instance's partition.
 */
export interface LegacyAppItem
  extends AppItem,
    Pick<
      CounterItem,
      'limit_units' | 'window_ms' | 'anchor_ms' | 'config_version' | 'window_end_ms' | 'remaining' | 'last_consume'
    > {}

/** Whether an app item is of the layout before counters (this layout always writes `subcounters`). */
export const isLegacyApp = (item: AppItem): boolean => item.type === 'app' && item.subcounters === undefined;

/**
 * Whether a bound app as the binding index (`lsi2`) shows it is of the old layout: that layout
 * kept the settings copy (`config_version`) on the app, this one keeps it on the counters.
 */
export const isLegacyBoundListing = (item: { readonly config_version?: number }): boolean =>
  item.config_version !== undefined;

const counterOf = (item: LegacyAppItem): CounterItem => {
  const bound = item.quota_id !== undefined && item.limit_units !== undefined && item.window_ms !== undefined;
  return {
    ...counterKey(item.project_id, item.instance_id, item.app_key),
    type: 'counter',
    app_id: item.app_id,
    subcounter: 0,
    ...(bound
      ? {
          subcounters: 1,
          quota_id: item.quota_id,
          call_limits: item.limit_units,
          limit_units: item.limit_units,
          window_ms: item.window_ms,
          ...(item.anchor_ms === undefined ? {} : { anchor_ms: item.anchor_ms }),
          config_version: item.config_version ?? 1,
          ...(item.window_end_ms === undefined ? {} : { window_end_ms: item.window_end_ms }),
          ...(item.remaining === undefined ? {} : { remaining: item.remaining }),
          ...(item.last_consume === undefined ? {} : { last_consume: item.last_consume }),
        }
      : {}),
  };
};

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
    { Update: { TableName: db.tableName, ...creatingUpdate(counterOf(item)) } },
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

/** What `npm run migrate` did. */
export interface MigrationReport {
  readonly apps: number;
  readonly migrated: number;
  readonly alreadyMigrated: number;
}

/**
 * The one-shot migration of a whole table (`npm run migrate`), never a request path: scans it
 * and moves every app of the old layout. An app whose move is cancelled (traffic changed it, or a
 * first-touch move beat us) is read again by the next pass until none is left.
 */
export const migrateTable = async (db: Db): Promise<MigrationReport> => {
  let apps = 0;
  let migrated = 0;
  let alreadyMigrated = 0;
  for (let pass = 0; pass < 10; pass += 1) {
    let leftBehind = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.client.send(
        new ScanCommand({
          TableName: db.tableName,
          ConsistentRead: true,
          FilterExpression: '#type = :app',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':app': 'app' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of (page.Items ?? []) as LegacyAppItem[]) {
        if (pass === 0) apps += 1;
        if (!isLegacyApp(item)) {
          if (pass === 0) alreadyMigrated += 1;
          continue;
        }
        if (await migrateApp(db, item)) migrated += 1;
        else leftBehind += 1;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    if (leftBehind === 0) return { apps, migrated, alreadyMigrated };
  }
  throw new Error('migration: apps still left behind after 10 passes');
};

/**
 * First touch of an app by the data plane: if its item is of the old layout, move it (one
 * attempt; a cancelled one means someone else changed or moved it, and the caller reads again).
 */
export const migrateAppById = async (db: Db, projectId: string, instanceId: string, appId: string): Promise<void> => {
  const item = (await getAppItem(db, projectId, instanceId, appId)) as LegacyAppItem | undefined;
  if (item && isLegacyApp(item)) await migrateApp(db, item);
};
