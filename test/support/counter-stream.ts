import type { DynamoDBStreamEvent } from 'aws-lambda';
import { inject } from 'vitest';
import { counterStreamHandler } from '#adapters/counter-stream-handler.ts';
import { usageStreamDepsOver } from '#app/usage-stream-deps.ts';
import type { ThresholdEvent } from '#domain/threshold-event.ts';
import { type Clock, systemClock } from '#domain/time.ts';
import { DEFAULT_ALERT_THRESHOLDS, DEFAULT_HISTORY_RETENTION_DAYS } from '#domain/usage-window.ts';
import { STREAM_BATCH_SIZE } from '#local/stream-poller.ts';
import { lambdaEventsOf, type StreamStart, TableStreamReader } from '#local/table-stream.ts';
import type { Db } from '#store/table/db.ts';
import { COUNTER_RECORDS_PATTERN } from '#store/table/stream-filter.ts';
import type { AlertSink, UsageStreamSettings } from '#use-cases/record-counter-changes.ts';
import { testContext } from './api-client.ts';

/** A table's real stream on DynamoDB Local, handed to the app-quotas function's stream handler by hand. */
export interface CounterStream {
  /** Every event the handler sent, in order. */
  readonly sent: ThresholdEvent[];
  /**
   * Reads what the stream got since the last read and delivers it as the event source mapping
   * would (counter records, batches of {@link STREAM_BATCH_SIZE}); returns the events delivered,
   * for a test to deliver again.
   */
  deliver(): Promise<DynamoDBStreamEvent[]>;
  /** Delivers events again, as Lambda does on a retry or a replay. */
  redeliver(events: readonly DynamoDBStreamEvent[]): Promise<void>;
  close(): void;
}

/** Options of a {@link openCounterStream}. */
export interface CounterStreamOptions {
  readonly clock?: Clock;
  readonly settings?: Partial<UsageStreamSettings>;
  /** Where the handler's events go. @default a recorder ({@link CounterStream.sent}) */
  readonly sink?: AlertSink;
  /** @default LATEST: what is written from now on */
  readonly start?: StreamStart;
}

/**
 * Opens a test table's stream, from now on unless told (the reader `npm start` uses) and builds the stream
 * handler the app-quotas function runs, over the same table, with a recording sink.
 */
export const openCounterStream = async (db: Db, options: CounterStreamOptions = {}): Promise<CounterStream> => {
  const reader = await TableStreamReader.open({
    endpoint: inject('dynamodbEndpoint'),
    tableName: db.tableName,
    start: options.start ?? 'LATEST',
  });
  const sent: ThresholdEvent[] = [];
  const recorder: AlertSink = {
    async send(events) {
      sent.push(...events);
    },
  };
  const settings = {
    thresholds: DEFAULT_ALERT_THRESHOLDS,
    retentionDays: DEFAULT_HISTORY_RETENTION_DAYS,
    ...options.settings,
  };
  const handler = counterStreamHandler(
    usageStreamDepsOver(db, settings, options.sink ?? recorder, options.clock ?? systemClock),
  );
  const redeliver = async (events: readonly DynamoDBStreamEvent[]) => {
    for (const event of events) {
      const { batchItemFailures } = await handler(event, testContext('app-quotas'));
      if (batchItemFailures.length > 0) throw new Error(`batch failed at ${batchItemFailures[0]?.itemIdentifier}`);
    }
  };
  return {
    sent,
    async deliver() {
      const events = (await reader.read()).flatMap(({ records }) =>
        lambdaEventsOf(records, COUNTER_RECORDS_PATTERN, STREAM_BATCH_SIZE),
      );
      await redeliver(events);
      return events;
    },
    redeliver,
    close: () => reader.close(),
  };
};
