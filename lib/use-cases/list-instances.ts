import type { Deps } from '#app/control-plane-deps.ts';
import type { Instance } from '#domain/models.ts';
import type { ListQuery, Page } from '#domain/page.ts';

/** List instances. Primary course: one page of the project's instances by name. */
export const listInstances = ({ store }: Deps, projectId: string, query: ListQuery): Promise<Page<Instance>> =>
  store.listInstances(projectId, query);
