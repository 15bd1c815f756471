import type { AppRef } from '#domain/refs.ts';
import { windowAt } from '#domain/window.ts';
import type { CounterItem } from '#store/items/counter-item.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireApp } from './require-app.ts';

/** An app's usage of its quota now; every quota field is null when it is bound to none. */
export interface Usage {
  readonly appId: string;
  readonly quotaId: string | null;
  readonly limit: number | null;
  readonly used: number | null;
  readonly remaining: number | null;
  /** Null while no window is open (an unanchored quota opens one at the first counted call). */
  readonly windowStart: number | null;
  readonly resetAt: number | null;
}

/**
 * An app's usage as its counters show it at `nowMs` (sorted by sub-counter, the main one first):
 * the units its sub-counters took in the open window (all of a credential's sub-counters count in
 * the same window); with none open nothing is used, and an anchored quota shows the window now
 * current. Every quota field is null when the counters are bound to no quota.
 */
export const usageOfCounters = (appId: string, counters: readonly CounterItem[], nowMs: number): Usage => {
  const [main] = counters;
  if (!main?.quota_id || main.call_limits === undefined || main.window_ms === undefined) {
    return { appId, quotaId: null, limit: null, used: null, remaining: null, windowStart: null, resetAt: null };
  }
  const limit = main.call_limits;
  const open = counters.filter(
    (counter) =>
      counter.quota_id === main.quota_id && counter.window_end_ms !== undefined && counter.window_end_ms > nowMs,
  );
  if (open.length > 0) {
    const end = Math.max(...open.map((counter) => counter.window_end_ms as number));
    const used = open.reduce((sum, counter) => sum + ((counter.limit_units ?? 0) - (counter.remaining ?? 0)), 0);
    return {
      appId,
      quotaId: main.quota_id,
      limit,
      used,
      remaining: Math.max(0, limit - used),
      windowStart: end - main.window_ms,
      resetAt: end,
    };
  }
  const current = main.anchor_ms === undefined ? undefined : windowAt(nowMs, main.window_ms, main.anchor_ms);
  return {
    appId,
    quotaId: main.quota_id,
    limit,
    used: 0,
    remaining: limit,
    windowStart: current?.start ?? null,
    resetAt: current?.end ?? null,
  };
};

/** Show usage. Primary course: read the app's counters (404 for a missing instance or app), then {@link usageOfCounters}. */
export const showUsage = async (deps: UseCaseDeps, { projectId, instanceId, appId }: AppRef): Promise<Usage> => {
  const counters = await deps.store.getUsageCounters(projectId, instanceId, appId);
  if (!counters) await requireApp(deps, { projectId, instanceId, appId });
  return usageOfCounters(appId, counters ?? [], deps.clock.now().getTime());
};
