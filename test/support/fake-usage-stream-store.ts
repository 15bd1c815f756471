import type { ThresholdEventDetail } from '#domain/threshold-event.ts';
import type { CounterItem } from '#store/items/counter-item.ts';
import type { ThresholdAlertItem } from '#store/items/threshold-alert-item.ts';
import type { UsageHistoryItem } from '#store/items/usage-history-item.ts';
import type { UsageStreamStore } from '#store/stream/usage-stream-store.ts';
import { type Key, thresholdAlertKey, usageHistoryKey } from '#store/table/keys.ts';

const id = (key: Key) => `${key.pk}|${key.sk}`;

/** The stream processor's store in memory, with the conditions DynamoDB would check. */
export const fakeUsageStreamStore = () => {
  const counters = new Map<string, CounterItem>();
  const history = new Map<string, UsageHistoryItem>();
  const alerts = new Map<string, ThresholdAlertItem>();
  /** Quotas' own thresholds, by `project/instance/quota`; every read of them, in order. */
  const quotaThresholds = new Map<string, readonly number[]>();
  const thresholdReads: string[] = [];
  const alertKey = (detail: ThresholdEventDetail, start: number) =>
    id(thresholdAlertKey(detail.project_id, detail.instance_id, detail.app_id, start, detail.threshold));
  const store: UsageStreamStore = {
    async readCounters(keys) {
      return keys.flatMap((key) => counters.get(id(key)) ?? []);
    },
    async readQuotaThresholds(projectId, instanceId, quotaId) {
      const name = `${projectId}/${instanceId}/${quotaId}`;
      thresholdReads.push(name);
      return quotaThresholds.get(name);
    },
    async addWindowUse(owner, use, expiresAt) {
      const key = usageHistoryKey(owner.projectId, owner.instanceId, owner.appId, use.window.start);
      const before = history.get(id(key));
      if (before?.counted.has(use.subcounter)) return before;
      const item: UsageHistoryItem = {
        ...key,
        type: 'usage-history',
        project_id: owner.projectId,
        instance_id: owner.instanceId,
        app_id: owner.appId,
        app_quota_id: use.quotaId,
        used: (before?.used ?? 0) + use.used,
        limit: use.limit,
        window_start_ms: use.window.start,
        window_end_ms: use.window.end,
        counted: new Set([...(before?.counted ?? []), use.subcounter]),
        expires_at: expiresAt,
      };
      history.set(id(key), item);
      return item;
    },
    async readAlerts(owner, start) {
      return [...alerts.values()].filter(
        (item) => item.detail.app_id === owner.appId && item.sk.startsWith(`ALERT#${String(start).padStart(13, '0')}#`),
      );
    },
    async claimAlert(detail, start, claimedBy, expiresAt) {
      const key = alertKey(detail, start);
      if (alerts.has(key)) return false;
      const [pk, sk] = key.split('|') as [string, string];
      alerts.set(key, {
        pk,
        sk,
        type: 'threshold-alert',
        state: 'pending',
        claimed_by: claimedBy,
        detail,
        expires_at: expiresAt,
      });
      return true;
    },
    async markAlertSent(detail, start) {
      const key = alertKey(detail, start);
      const item = alerts.get(key);
      if (item) alerts.set(key, { ...item, state: 'sent' });
    },
  };
  return {
    store,
    counters,
    history,
    alerts,
    quotaThresholds,
    thresholdReads,
    put: (item: CounterItem) => counters.set(id(item), item),
  };
};
