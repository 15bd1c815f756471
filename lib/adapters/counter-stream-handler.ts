import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import type { ApiEvent } from '#http/api-types.ts';
import { logger } from '#observability/logger.ts';
import { recordStreamRecords, type UsageStreamDeps } from '#use-cases/record-counter-changes.ts';
import type { AppQuotasHandler } from './quota-sweep-handler.ts';

/** Whether an invocation is a batch of the table's stream (never an API Gateway request or a schedule's event). */
export const isDynamoDbStreamEvent = (event: unknown): event is DynamoDBStreamEvent => {
  const records = (event as Partial<DynamoDBStreamEvent> | null)?.Records;
  return Array.isArray(records) && records.length > 0 && records[0]?.eventSource === 'aws:dynamodb';
};

/**
 * The stream's batch, as the event source mapping (or the local stream reader) delivers it:
 * counter records only, in order. A record whose processing failed is named in
 * `batchItemFailures` (the earliest one; the mapping has `reportBatchItemFailures`), so Lambda
 * delivers it and every later record of the shard again, and the earlier ones are not processed
 * twice; processing is idempotent anyway.
 */
export const counterStreamHandler =
  (deps: UsageStreamDeps) =>
  async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
    logger.addContext(context);
    const report = await recordStreamRecords(deps, event.Records);
    if (report.windowsClosed > 0 || report.eventsSent > 0 || report.failedSequence)
      logger.info('counter stream batch', { records: event.Records.length, ...report });
    return { batchItemFailures: report.failedSequence ? [{ itemIdentifier: report.failedSequence }] : [] };
  };

/** The app-quotas function's entry point with its third face: the table's stream. */
export interface AppQuotasStreamHandler extends AppQuotasHandler {
  (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse>;
}

/**
 * The app-quotas function also processes the table's stream (SPEC §8 allows three functions: the
 * usage history and the threshold events are one more use of the one that owns quotas, as the
 * sweep is). A stream batch never reaches the HTTP stack or the sweep, and no request can pose as
 * one: API Gateway only sends its own events.
 */
export const withCounterStream = (appQuotas: AppQuotasHandler, deps: UsageStreamDeps): AppQuotasStreamHandler => {
  const stream = counterStreamHandler(deps);
  return (async (event: ApiEvent | ScheduledEvent | DynamoDBStreamEvent, context: Context) =>
    isDynamoDbStreamEvent(event)
      ? stream(event, context)
      : appQuotas(event as ApiEvent, context)) as AppQuotasStreamHandler;
};
