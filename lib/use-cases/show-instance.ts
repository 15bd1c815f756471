import { instanceNotFound } from '#domain/errors.ts';
import type { Instance } from '#domain/models.ts';
import type { InstanceRef } from '#domain/refs.ts';
import type { UseCaseDeps } from './ports.ts';

/** Show instance. Primary course: read it within the project; 404 `APIG.3030` when absent. */
export const showInstance = async (
  { store }: UseCaseDeps,
  { projectId, instanceId }: InstanceRef,
): Promise<Instance> => {
  const instance = await store.getInstance(projectId, instanceId);
  if (!instance) throw instanceNotFound(instanceId);
  return instance;
};
