import type { App } from '#domain/models.ts';
import type { ListQuery, Page } from '#domain/page.ts';
import type { QuotaRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireQuota } from './require-quota.ts';
import { usageOfCounters } from './show-usage.ts';

/** A bound app and its open window's use of the quota, as show usage computes it. */
export interface AppUsage {
  readonly app: App;
  readonly limit: number;
  readonly used: number;
  readonly remaining: number;
  /** Null while no window is open (an unanchored quota opens one at the first counted call). */
  readonly windowStart: number | null;
  readonly resetAt: number | null;
}

/** Highest use first; equal use by name (case-insensitive, as the lists order names), then app id. */
export const byUse = (a: AppUsage, b: AppUsage): number =>
  b.used - a.used ||
  a.app.name.toLowerCase().localeCompare(b.app.name.toLowerCase()) ||
  (a.app.appId < b.app.appId ? -1 : a.app.appId > b.app.appId ? 1 : 0);

/**
 * List a quota's bound apps by use ("who is hot"). Primary course: read the quota (404 when
 * missing or being deleted), then every bound app with its counters (as many as the quota says
 * each credential has); compute
 * each app's use of its open window, order highest first and cut the page in memory. A quota
 * holds at most the instance's apps (`MAX_APPS_PER_INSTANCE`), so reading them all stays a few
 * requests and no index of use is kept (it would be written by every consume). An app unbound
 * between the two reads (its counters name no longer this quota) is left out.
 */
export const listQuotaUsage = async (
  deps: UseCaseDeps,
  { projectId, instanceId, quotaId, query }: QuotaRef & { readonly query: Pick<ListQuery, 'offset' | 'limit'> },
): Promise<Page<AppUsage>> => {
  const { quota } = await requireQuota(deps, { projectId, instanceId, quotaId });
  const bound = await deps.store.getBoundAppCounters(quota);
  const now = deps.clock.now().getTime();
  const ranked: AppUsage[] = [];
  for (const { binding, counters } of bound) {
    const {
      quotaId: counted,
      limit,
      used,
      remaining,
      windowStart,
      resetAt,
    } = usageOfCounters(binding.app.appId, counters, now);
    if (counted !== quotaId || limit === null || used === null || remaining === null) continue;
    ranked.push({ app: binding.app, limit, used, remaining, windowStart, resetAt });
  }
  ranked.sort(byUse);
  return { total: ranked.length, items: ranked.slice(query.offset, query.offset + query.limit) };
};
