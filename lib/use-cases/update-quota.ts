import { invalidParameter, quotaNameExists } from '#domain/errors.ts';
import { OVERTAKEN } from '#domain/overtaken.ts';
import type { Quota, QuotaConfig } from '#domain/quota.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireQuota } from './require-quota.ts';
import { retryOvertaken } from './retry-overtaken.ts';

/** What updating a quota takes: the full body, as for create. */
export interface UpdateQuotaInput extends QuotaConfig {
  readonly projectId: string;
  readonly instanceId: string;
  readonly quotaId: string;
  readonly name: string;
  readonly remark: string;
  /** When given, it must be the quota's own: the split of a window is fixed for a quota's life. */
  readonly subcounters?: number | undefined;
  /**
   * The quota's own thresholds: absent (undefined), kept as they are, since the vendor's clients
   * replace the body without knowing them; `null`, removed (the stage's apply again).
   */
  readonly alertThresholds?: readonly number[] | null | undefined;
}

const sameTime = (a: Date | undefined, b: Date | undefined) => a?.getTime() === b?.getTime();

/**
 * Update quota (full PUT). Primary course: read the quota, store the new fields (a new name must
 * be free; `subcounters`, when given, must be unchanged: 400 otherwise; `alertThresholds`, when
 * absent, stay) and copy new settings onto the bound apps: a new time unit, interval or reset time
 * starts a fresh window for each of them; a new limit alone keeps the units they have used. New
 * thresholds are not settings of the counters: the stream processing reads them from the quota.
 * Overtaken by a concurrent change, it reads again and retries.
 */
export const updateQuota = (deps: UseCaseDeps, input: UpdateQuotaInput): Promise<Quota> =>
  retryOvertaken(`update of quota ${input.quotaId}`, async () => {
    const current = await requireQuota(deps, input);
    const { quota } = current;
    if (input.subcounters !== undefined && input.subcounters !== quota.subcounters) {
      throw invalidParameter('subcounters');
    }
    const next: Quota = {
      ...quota,
      name: input.name,
      remark: input.remark,
      callLimits: input.callLimits,
      timeUnit: input.timeUnit,
      timeInterval: input.timeInterval,
      resetTime: input.resetTime,
      alertThresholds:
        input.alertThresholds === undefined ? quota.alertThresholds : (input.alertThresholds ?? undefined),
    };
    const freshWindow =
      next.timeUnit !== quota.timeUnit ||
      next.timeInterval !== quota.timeInterval ||
      !sameTime(next.resetTime, quota.resetTime);
    const settingsChanged = freshWindow || next.callLimits !== quota.callLimits;
    const outcome = await deps.store.updateQuota({
      current,
      next,
      settingsChanged,
      freshWindow,
      now: deps.clock.now(),
    });
    if (outcome === 'name-taken') throw quotaNameExists();
    if (outcome === OVERTAKEN) return OVERTAKEN;
    return (await requireQuota(deps, input)).quota;
  });
