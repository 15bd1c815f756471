import type { Deps } from '../deps.ts';
import { creationUnknown } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { Quota, QuotaConfig } from '../domain/quota.ts';
import { retryOvertaken, unknownIfTimedOut } from './retry-overtaken.ts';

/** What creating a quota takes. */
export interface CreateQuotaInput extends QuotaConfig {
  readonly projectId: string;
  readonly instanceId: string;
  readonly name: string;
  readonly remark: string;
  /** Sub-counters per bound credential (1 when not given). */
  readonly subcounters?: number | undefined;
}

/**
 * Create quota. Primary course: give it a fresh id, no bound apps and the current time; the store
 * enforces the instance's existence, the quotas-per-instance limit and the name's uniqueness in
 * one transaction.
 */
export const createQuota = async ({ store, clock, limits }: Deps, input: CreateQuotaInput): Promise<Quota> => {
  const quota: Quota = {
    ...input,
    quotaId: newId(),
    createTime: clock.now(),
    boundAppNum: 0,
    subcounters: input.subcounters ?? 1,
  };
  await unknownIfTimedOut(creationUnknown('app quota', quota.name), () =>
    retryOvertaken(`create of quota ${quota.name}`, async () =>
      (await store.createQuota(quota, limits.quotasPerInstance)) ? true : undefined,
    ),
  );
  return quota;
};
