import { DEFAULT_INSTANCES_PER_PROJECT } from '#app/config.ts';
import { creationUnknown } from '#domain/errors.ts';
import { newId } from '#domain/ids.ts';
import type { Instance } from '#domain/models.ts';
import type { UseCaseDeps } from './ports.ts';
import { retryOvertaken, unknownIfTimedOut } from './retry-overtaken.ts';

/** What creating an instance takes. */
export interface CreateInstanceInput {
  readonly projectId: string;
  readonly name: string;
  readonly description: string;
}

/**
 * Create instance. Primary course: give the instance a fresh id and the current time, store it
 * under the caller's project, counted there within the instances-per-project limit, return it.
 * Names need not be unique, so a write that may have landed unseen answers 503 `CQ.5032`, not
 * "retry": a blind retry could make a second instance.
 */
export const createInstance = async (
  { store, clock, limits }: UseCaseDeps,
  input: CreateInstanceInput,
): Promise<Instance> => {
  const instance: Instance = { ...input, instanceId: newId(), createTime: clock.now() };
  const max = limits.instancesPerProject ?? DEFAULT_INSTANCES_PER_PROJECT;
  await unknownIfTimedOut(creationUnknown('instance', instance.name), () =>
    retryOvertaken(`create of instance ${instance.name}`, () => store.putInstance(instance, max)),
  );
  return instance;
};
