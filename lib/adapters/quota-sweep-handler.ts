import type { Context, ScheduledEvent } from 'aws-lambda';
import type { ApiEvent, ApiResult } from '#http/api-types.ts';
import { logger } from '#observability/logger.ts';
import type { UseCaseDeps } from '#use-cases/ports.ts';
import { type QuotaSweepsReport, sweepQuotas } from '#use-cases/sweep-quotas.ts';

/** The `detail-type` of the events an EventBridge schedule sends. */
export const SCHEDULED_EVENT_TYPE = 'Scheduled Event';

/** Whether an invocation is an EventBridge schedule's (never an API Gateway request's). */
export const isScheduledEvent = (event: unknown): event is ScheduledEvent =>
  typeof event === 'object' &&
  event !== null &&
  (event as ScheduledEvent).source === 'aws.events' &&
  (event as ScheduledEvent)['detail-type'] === SCHEDULED_EVENT_TYPE;

/** The app-quotas function's entry point: API requests, and the schedule's sweep of quota deletes and split updates. */
export interface AppQuotasHandler {
  (event: ApiEvent, context: Context): Promise<ApiResult>;
  (event: ScheduledEvent, context: Context): Promise<QuotaSweepsReport>;
}

/**
 * The app-quotas function answers the API and, on its schedule, sweeps the quota deletes under
 * way and the split quota updates whose counters lag (SPEC §8 allows three functions: the sweep
 * is a fourth use of the one that owns quotas, with the permissions it already has plus a Query
 * of the markers' partitions). A scheduled event never reaches the HTTP stack, and no request can
 * pose as one: API Gateway only sends its own events. A sweep that could not finish a delete or
 * an update throws, so Lambda counts an error and the function's error alarm goes off; the next
 * run tries again.
 */
export const withQuotaSweep = (
  http: (event: ApiEvent, context: Context) => Promise<ApiResult>,
  deps: UseCaseDeps,
): AppQuotasHandler =>
  (async (event: ApiEvent | ScheduledEvent, context: Context) => {
    if (!isScheduledEvent(event)) return http(event, context);
    logger.addContext(context);
    return sweepQuotas(deps);
  }) as AppQuotasHandler;
