import type { Deps } from '../deps.ts';
import type { App } from '../domain/models.ts';
import type { ListQuery, Page } from '../domain/page.ts';
import { requireInstance } from './require-app.ts';

/**
 * List apps. Primary course: one page of the instance's apps by name. An empty page of a missing
 * instance is 404 `APIG.3030`; a non-empty one proves the instance exists without another read.
 */
export const listApps = async (
  deps: Deps,
  projectId: string,
  instanceId: string,
  query: ListQuery,
): Promise<Page<App>> => {
  const page = await deps.store.listApps(projectId, instanceId, query);
  if (page.total === 0) await requireInstance(deps, projectId, instanceId);
  return page;
};
