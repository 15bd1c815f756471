import type { ListQuery, Page } from '#domain/page.ts';
import type { Quota } from '#domain/quota.ts';
import type { InstanceRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireInstance } from './require-app.ts';

/** List quotas. Primary course: one page of the instance's quotas, newest first; 404 for a missing instance. */
export const listQuotas = async (
  deps: UseCaseDeps,
  { projectId, instanceId, query }: InstanceRef & { readonly query: ListQuery },
): Promise<Page<Quota>> => {
  const page = await deps.store.listQuotas(projectId, instanceId, query);
  if (page.total === 0) await requireInstance(deps, { projectId, instanceId });
  return page;
};
