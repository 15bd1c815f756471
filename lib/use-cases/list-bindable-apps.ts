import type { AppBinding } from '#domain/models.ts';
import type { ListQuery, Page } from '#domain/page.ts';
import type { QuotaRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireQuota } from './require-quota.ts';

/**
 * List bindable apps. Primary course: read the quota (404 when missing) and a page of the
 * instance's apps bound to no quota, by name, at the same time.
 */
export const listBindableApps = async (
  deps: UseCaseDeps,
  { projectId, instanceId, quotaId, query }: QuotaRef & { readonly query: ListQuery },
): Promise<Page<AppBinding>> => {
  const [, page] = await Promise.all([
    requireQuota(deps, { projectId, instanceId, quotaId }),
    deps.store.listBindableApps(projectId, instanceId, query),
  ]);
  return page;
};
