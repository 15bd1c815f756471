import type { Page } from '#domain/page.ts';
import { type UsageWindow, type UsageWindowFields, usageWindowOf } from '#store/items/usage-history-item.ts';
import { type Db, queryPage } from '#store/table/db.ts';
import { usageHistoryPartition, usageHistorySortKey } from '#store/table/keys.ts';

/** Which of an app's closed windows to read: those starting in `[fromMs, toMs)`, one page of them. */
export interface HistoryQuery {
  readonly fromMs: number;
  readonly toMs: number;
  readonly offset: number;
  readonly limit: number;
}

// What the answer shows of a stored window: not its keys, `counted` or `expires_at`. `used` and
// `limit` are reserved words in expressions, so every name goes through a placeholder.
const SHOWN: readonly (keyof UsageWindowFields)[] = [
  'project_id',
  'instance_id',
  'app_id',
  'app_quota_id',
  'used',
  'limit',
  'window_start_ms',
  'window_end_ms',
];
const names = Object.fromEntries(SHOWN.map((name) => [`#${name}`, name]));

/**
 * A page of an app's closed windows starting in `[fromMs, toMs)`, newest first: one Query of its
 * history partition, `sk BETWEEN` the two window keys (so its threshold alerts, under another
 * prefix, are never read), strongly consistent. The total counts every window in the range, so the
 * Query reads the whole range, page after page of 1 MB; the projection trims what comes back, not
 * what is read. The range holds at most one item per window the credential called in during the
 * history's retention.
 */
export const listUsageHistory = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appId: string,
  { fromMs, toMs, offset, limit }: HistoryQuery,
): Promise<Page<UsageWindow>> => {
  // BETWEEN with its bounds crossed is a ValidationException; an empty range holds nothing.
  if (toMs <= fromMs) return { total: 0, items: [] };
  const page = await queryPage<UsageWindowFields>(
    db,
    {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': usageHistoryPartition(projectId, instanceId, appId),
        ':from': usageHistorySortKey(fromMs),
        ':to': usageHistorySortKey(toMs - 1),
      },
      ExpressionAttributeNames: names,
      ProjectionExpression: Object.keys(names).join(', '),
      ScanIndexForward: false,
    },
    { offset, limit },
  );
  return { total: page.total, items: page.items.map(usageWindowOf) };
};
