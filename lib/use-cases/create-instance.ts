import type { Deps } from '../deps.ts';
import { newId } from '../domain/ids.ts';
import type { Instance } from '../domain/models.ts';

/** What creating an instance takes. */
export interface CreateInstanceInput {
  readonly projectId: string;
  readonly name: string;
  readonly description: string;
}

/**
 * Create instance. Primary course: give the instance a fresh id and the current time, store it
 * under the caller's project, return it.
 */
export const createInstance = async ({ store, clock }: Deps, input: CreateInstanceInput): Promise<Instance> => {
  const instance: Instance = { ...input, instanceId: newId(), createTime: clock.now() };
  await store.putInstance(instance);
  return instance;
};
