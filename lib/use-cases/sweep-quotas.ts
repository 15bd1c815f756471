import { finishQuotaDeletes, type QuotaSweepReport } from './finish-quota-deletes.ts';
import { finishQuotaUpdates, type QuotaUpdateSweepReport } from './finish-quota-updates.ts';
import type { UseCaseDeps } from './ports.ts';

/** What one run of the schedule's sweep did: to the quota deletes, then to the split updates. */
export interface QuotaSweepsReport {
  readonly deletes: QuotaSweepReport;
  readonly updates: QuotaUpdateSweepReport;
}

/**
 * One run of the schedule's sweep: finishes the quota deletes nobody finishes, then catches up the
 * split quota updates nobody finishes, both within one budget (the updates get what the deletes
 * left of it). One failing does not keep the other from running; the run throws at the end when
 * either had a failure, so the function's error alarm sees it.
 */
export const sweepQuotas = async (deps: UseCaseDeps): Promise<QuotaSweepsReport> => {
  const startedAt = Date.now();
  const [deletes, updates] = [
    await settle(finishQuotaDeletes(deps)),
    await settle(finishQuotaUpdates(deps, { startedAt })),
  ];
  if (deletes.status === 'rejected' || updates.status === 'rejected') {
    const errors = [deletes, updates].flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'the quota sweep failed');
  }
  return { deletes: deletes.value, updates: updates.value };
};

const settle = <T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> =>
  promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
