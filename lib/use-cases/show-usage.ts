import type { Deps } from '../deps.ts';
import { windowAt } from '../domain/window.ts';
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
 * Show usage. Primary course: read the app (404 for a missing instance or app) with its counters.
 * An open window shows what it used; otherwise nothing is used, and an anchored quota shows the
 * window now current.
 */
export const showUsage = async (deps: Deps, projectId: string, instanceId: string, appId: string): Promise<Usage> => {
  const item = await deps.store.getAppUsage(projectId, instanceId, appId);
  if (!item) await requireApp(deps, projectId, instanceId, appId);
  const none = { appId, quotaId: null, limit: null, used: null, remaining: null, windowStart: null, resetAt: null };
  if (!item?.quota_id || item.limit_units === undefined || item.window_ms === undefined) return none;
  const now = deps.clock.now().getTime();
  const limit = item.limit_units;
  if (item.window_end_ms !== undefined && item.window_end_ms > now) {
    const remaining = item.remaining ?? limit;
    return {
      appId,
      quotaId: item.quota_id,
      limit,
      used: limit - remaining,
      remaining: Math.max(0, remaining),
      windowStart: item.window_end_ms - item.window_ms,
      resetAt: item.window_end_ms,
    };
  }
  const current = item.anchor_ms === undefined ? undefined : windowAt(now, item.window_ms, item.anchor_ms);
  return {
    appId,
    quotaId: item.quota_id,
    limit,
    used: 0,
    remaining: limit,
    windowStart: current?.start ?? null,
    resetAt: current?.end ?? null,
  };
};
