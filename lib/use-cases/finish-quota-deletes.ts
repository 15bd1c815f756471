import { logger } from '#observability/logger.ts';
import type { QuotaDeleteMarker } from '#store/control-plane/quota-store.ts';
import { resumeQuotaDelete } from './delete-quota.ts';
import type { UseCaseDeps } from './ports.ts';

/**
 * How often the sweep runs, in AWS (an EventBridge schedule on the app-quotas function) and under
 * `npm start` (by default): a delete whose client stopped after its first step is finished at the
 * latest one period plus one run after it was marked.
 */
export const QUOTA_SWEEP_PERIOD_SECONDS = 60;

/** How many markers the sweep reads per Query. */
export const QUOTA_SWEEP_PAGE = 25;

/**
 * How long a sweep keeps taking up new deletes: well inside the function's 10 s timeout, so the
 * run ends on its own and what is left goes to the next one (each delete resumes where it stopped).
 */
export const QUOTA_SWEEP_BUDGET_MS = 6_000;

/** What one sweep did. */
export interface QuotaSweepReport {
  /** Deletes it finished (or found finished by someone else meanwhile). */
  readonly finished: number;
  /** Markers whose quota was already gone, deleted. */
  readonly stale: number;
  /** Deletes that failed (logged); the next sweep tries them again. */
  readonly failed: number;
  /** Markers left for the next sweep because the run's budget was spent. */
  readonly deferred: boolean;
}

/** Which deletes to finish: every one under way, or one instance's only. */
export interface QuotaSweepScope {
  readonly instance?: { readonly projectId: string; readonly instanceId: string };
  /** @default QUOTA_SWEEP_BUDGET_MS */
  readonly budgetMs?: number;
}

const finishOne = async (deps: UseCaseDeps, marker: QuotaDeleteMarker): Promise<'finished' | 'stale' | 'left'> => {
  const outcome = await resumeQuotaDelete(deps, marker);
  if (outcome === 'deleted') return 'finished';
  if (outcome === 'gone') {
    // Only a marker of a quota that is gone goes: the condition keeps one whose quota is back.
    return (await deps.store.removeStaleQuotaDeleteMarker(marker)) ? 'stale' : 'left';
  }
  // A marker beside a quota not marked deleting cannot be written (both go in one transaction);
  // it is reported, never acted on: nothing deletes a quota nobody asked to delete.
  logger.error('quota delete marker without a deleting quota', { ...marker });
  return 'left';
};

/**
 * Finishes the quota deletes under way that nobody else finishes: reads their markers a page at a
 * time (a Query of their partition, or of one instance's part of it) and takes each up with the
 * DELETE's own steps, so a sweep racing a client's DELETE, a bind or another sweep is as safe as
 * two DELETEs. One failing delete does not stop the others; the sweep throws at the end when any
 * failed, so the function's error alarm sees it.
 */
export const finishQuotaDeletes = async (deps: UseCaseDeps, scope: QuotaSweepScope = {}): Promise<QuotaSweepReport> => {
  const startedAt = Date.now();
  const budgetMs = scope.budgetMs ?? QUOTA_SWEEP_BUDGET_MS;
  let finished = 0;
  let stale = 0;
  const failures: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  let deferred = false;
  do {
    const page = await deps.store.listQuotaDeletes(QUOTA_SWEEP_PAGE, {
      ...(scope.instance ? { instance: scope.instance } : {}),
      ...(start ? { start } : {}),
    });
    for (const marker of page.markers) {
      // Wall time, not the service clock: the budget is about the function's timeout.
      if (Date.now() - startedAt > budgetMs) {
        deferred = true;
        break;
      }
      try {
        const outcome = await finishOne(deps, marker);
        if (outcome === 'finished') finished += 1;
        if (outcome === 'stale') stale += 1;
      } catch (error) {
        logger.error('quota delete not finished', { ...marker, error });
        failures.push(error);
      }
    }
    start = page.next;
  } while (start && !deferred);
  const report = { finished, stale, failed: failures.length, deferred };
  if (finished + stale + failures.length > 0 || deferred) logger.info('quota deletes swept', { ...report });
  if (failures.length > 0) {
    throw new AggregateError(failures, `${failures.length} quota delete(s) not finished: ${JSON.stringify(report)}`);
  }
  return report;
};
