/**
 * The migration of a whole table (`npm run migrate`), never a request path: the one Scan of the
 * service, kept apart from the moves of single apps (migration-store.ts) that the functions and
 * the guard bundle, so none of them carries it.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#store/table/db.ts';
import { isLegacyApp, type LegacyAppItem } from './legacy-app.ts';
import { MIGRATION_PASSES, migrateApp } from './migration-store.ts';
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
