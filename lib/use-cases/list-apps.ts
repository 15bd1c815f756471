import type { Page } from '#domain/page.ts';
import type { InstanceRef } from '#domain/refs.ts';
import type { AppListQuery, ListedApp } from '#store/control-plane/app-store.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireInstance } from './require-app.ts';

/**
 * List apps. Primary course: one page of the instance's apps by name, filtered by name (substring
 * or exact), id, app_key and status. An empty page of a missing
 * instance is 404 `APIG.3030`; a non-empty one proves the instance exists without another read.
 */
export const listApps = async (
  deps: UseCaseDeps,
  { projectId, instanceId, query }: InstanceRef & { readonly query: AppListQuery },
): Promise<Page<ListedApp>> => {
  const page = await deps.store.listApps(projectId, instanceId, query);
  if (page.total === 0) await requireInstance(deps, { projectId, instanceId });
  return page;
};
