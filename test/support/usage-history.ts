import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageHistoryItem, UsageWindow } from '#store/items/usage-history-item.ts';
import type { Db } from '#store/table/db.ts';
import { usageHistoryKey } from '#store/table/keys.ts';

/** One closed window to seed, as the stream processor would have written it (its times in epoch ms). */
export interface SeededWindow extends Omit<UsageWindow, 'windowStart' | 'windowEnd'> {
  readonly windowStartMs: number;
  readonly windowEndMs: number;
}

/**
 * Puts a usage-history item straight into the table: the history route's tests stand in for the
 * stream processor, which alone writes these items in the service.
 */
export const seedUsageWindow = async (db: Db, window: SeededWindow): Promise<void> => {
  const item: UsageHistoryItem = {
    ...usageHistoryKey(window.projectId, window.instanceId, window.appId, window.windowStartMs),
    type: 'usage-history',
    project_id: window.projectId,
    instance_id: window.instanceId,
    app_id: window.appId,
    app_quota_id: window.quotaId,
    used: window.used,
    limit: window.limit,
    window_start_ms: window.windowStartMs,
    window_end_ms: window.windowEndMs,
    counted: new Set([0]),
    expires_at: Math.floor(window.windowEndMs / 1000) + 30 * 86_400,
  };
  await db.client.send(new PutCommand({ TableName: db.tableName, Item: item }));
};
