import type { AppBinding } from '#domain/models.ts';
import type { ListQuery, Page } from '#domain/page.ts';
import type { Quota } from '#domain/quota.ts';
import type { QuotaRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireQuota } from './require-quota.ts';

/** A page of bound apps with the quota they are bound to. */
export interface BoundAppsPage {
  readonly quota: Quota;
  readonly page: Page<AppBinding>;
}

/**
 * List bound apps. Primary course: read the quota (404 when missing) and the page of its bound
 * apps, newest binding first, at the same time; both reads are strongly consistent.
 */
export const listBoundApps = async (
  deps: UseCaseDeps,
  { projectId, instanceId, quotaId, query }: QuotaRef & { readonly query: ListQuery },
): Promise<BoundAppsPage> => {
  const [quota, page] = await Promise.all([
    requireQuota(deps, { projectId, instanceId, quotaId }),
    deps.store.listBoundApps(projectId, instanceId, quotaId, query),
  ]);
  return { quota: quota.quota, page };
};
