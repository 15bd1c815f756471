import type { Instance } from '#domain/models.ts';
import type { Page } from '#domain/page.ts';
import type { ProjectRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';

/** List instances. Primary course: one page of the project's instances by name, filtered by name and id. */
export const listInstances = (
  { store }: UseCaseDeps,
  { projectId, query }: ProjectRef & { readonly query: Parameters<UseCaseDeps['store']['listInstances']>[1] },
): Promise<Page<Instance>> => store.listInstances(projectId, query);
