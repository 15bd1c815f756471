import { logger } from '#observability/logger.ts';
import { type QuotaUpdateMarker, SPLIT_UPDATE_STALE_MS } from '#store/control-plane/quota-update-store.ts';
import { QUOTA_SWEEP_BUDGET_MS, QUOTA_SWEEP_PAGE } from './finish-quota-deletes.ts';
import type { UseCaseDeps } from './ports.ts';

/** What one sweep of split updates did. */
export interface QuotaUpdateSweepReport {
  /** Updates whose bound counters it brought to their quota's settings, marker dropped. */
  readonly caughtUp: number;
  /** Markers of quotas gone or being deleted, dropped: their counters follow the delete. */
  readonly dropped: number;
  /**
   * Markers left for a later run: younger than `SPLIT_UPDATE_STALE_MS` (their request may still be
   * running), replaced by a newer update meanwhile, or not caught up within the run's passes.
   */
  readonly left: number;
  /** Catch-ups that failed (logged); the next sweep tries them again. */
  readonly failed: number;
  /** Markers left for the next sweep because the run's budget was spent. */
  readonly deferred: boolean;
}

/** How long a run may take up split updates, and when it began (wall time: the function's timeout). */
export interface QuotaUpdateSweepScope {
  /** @default Date.now() */
  readonly startedAt?: number;
  /** @default QUOTA_SWEEP_BUDGET_MS */
  readonly budgetMs?: number;
}

type Outcome = 'caughtUp' | 'dropped' | 'left';

const finishOne = async (deps: UseCaseDeps, marker: QuotaUpdateMarker, stopAt: number): Promise<Outcome> => {
  const { store, clock } = deps;
  if (clock.now().getTime() - marker.markTime.getTime() < SPLIT_UPDATE_STALE_MS) return 'left';
  const found = await store.getQuota(marker.projectId, marker.instanceId, marker.quotaId);
  if (!found || found.deleting) return (await store.removeQuotaUpdateMarker(marker)) ? 'dropped' : 'left';
  // The quota's settings as they are now, not the marker's version: a newer update's are the ones
  // its counters must carry, and the condition on each counter's copy keeps any race safe.
  if (!(await store.catchUpQuotaCounters(found, stopAt))) return 'left';
  return (await store.removeQuotaUpdateMarker(marker)) ? 'caughtUp' : 'left';
};

/**
 * Finishes the split quota updates that nobody finishes: reads their markers a page at a time (a
 * Query of `SWEEP#QUOTA-UPDATES`) and, for each older than `SPLIT_UPDATE_STALE_MS`, copies the
 * quota's settings onto every bound counter still below its version with the update's own
 * fan-out, then drops the marker (conditioned on its version, so a newer update's stays). Stops
 * taking up markers, and stops a catch-up between transactions, when the budget is spent; the
 * next run resumes (every counter written is caught up). Throws at the end when any failed.
 */
export const finishQuotaUpdates = async (
  deps: UseCaseDeps,
  scope: QuotaUpdateSweepScope = {},
): Promise<QuotaUpdateSweepReport> => {
  const stopAt = (scope.startedAt ?? Date.now()) + (scope.budgetMs ?? QUOTA_SWEEP_BUDGET_MS);
  const counts: Record<Outcome, number> = { caughtUp: 0, dropped: 0, left: 0 };
  const failures: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  let deferred = false;
  do {
    const page = await deps.store.listQuotaUpdates(QUOTA_SWEEP_PAGE, start);
    for (const marker of page.markers) {
      if (Date.now() >= stopAt) {
        deferred = true;
        break;
      }
      try {
        counts[await finishOne(deps, marker, stopAt)] += 1;
      } catch (error) {
        logger.error('quota update not caught up', { ...marker, error });
        failures.push(error);
      }
    }
    start = page.next;
  } while (start && !deferred);
  const report = { ...counts, failed: failures.length, deferred };
  if (counts.caughtUp + counts.dropped + failures.length > 0 || deferred) logger.info('quota updates swept', report);
  if (failures.length > 0) {
    throw new AggregateError(failures, `${failures.length} quota update(s) not caught up: ${JSON.stringify(report)}`);
  }
  return report;
};
