import { ApiError, creationUnknown } from '#domain/errors.ts';
import { newId } from '#domain/ids.ts';
import type { Quota, QuotaConfig } from '#domain/quota.ts';
import { finishQuotaDeletes } from './finish-quota-deletes.ts';
import type { UseCaseDeps } from './ports.ts';
import { retryOvertaken, unknownIfTimedOut } from './retry-overtaken.ts';

/** What creating a quota takes. */
export interface CreateQuotaInput extends QuotaConfig {
  readonly projectId: string;
  readonly instanceId: string;
  readonly name: string;
  readonly remark: string;
  /** Sub-counters per bound credential (1 when not given). */
  readonly subcounters?: number | undefined;
  /** The quota's own threshold percentages, ascending; absent or `null`, the stage's apply. */
  readonly alertThresholds?: readonly number[] | null | undefined;
}

const isLimitRefusal = (error: unknown): error is ApiError => error instanceof ApiError && error.code === 'APIG.3100';

/**
 * Create quota. Primary course: give it a fresh id, no bound apps and the current time; the store
 * enforces the instance's existence, the quotas-per-instance limit and the name's uniqueness in
 * one transaction. Refused by the limit (403 `APIG.3100`), it first finishes the instance's quota
 * deletes under way, whose quotas no list shows but which count until removed, and tries once more.
 */
export const createQuota = async (deps: UseCaseDeps, input: CreateQuotaInput): Promise<Quota> => {
  const { store, clock, limits } = deps;
  const { alertThresholds, ...fields } = input;
  const quota: Quota = {
    ...fields,
    quotaId: newId(),
    createTime: clock.now(),
    boundAppNum: 0,
    subcounters: input.subcounters ?? 1,
    ...(alertThresholds ? { alertThresholds } : {}),
  };
  // A create whose write may have landed unseen says its outcome is unknown (CQ.5032).
  const create = () =>
    unknownIfTimedOut(creationUnknown('app quota', quota.name), () =>
      retryOvertaken(`create of quota ${quota.name}`, () => store.createQuota(quota, limits.quotasPerInstance)),
    );
  try {
    await create();
  } catch (error) {
    if (!isLimitRefusal(error)) throw error;
    // A failed finish is logged by the sweep; the client still gets the limit's answer.
    const swept = await finishQuotaDeletes(deps, {
      instance: { projectId: input.projectId, instanceId: input.instanceId },
    }).catch(() => undefined);
    if (!swept || swept.finished === 0) throw error;
    await create();
  }
  return quota;
};
