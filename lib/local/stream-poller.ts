import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { COUNTER_RECORDS_PATTERN } from '#store/table/stream-filter.ts';
import { lambdaEventsOf, type TableStreamOptions, TableStreamReader } from './table-stream.ts';

/** The event source mapping's batch size, which the local poller uses too. */
export const STREAM_BATCH_SIZE = 100;

/** How often Lambda's pollers read a shard: four times a second. */
export const STREAM_POLL_INTERVAL_MS = 250;

/** How many times a failing record is delivered before it is given up (in AWS: sent to the dead-letter queue). */
export const STREAM_MAX_ATTEMPTS = 5;

/** A function that takes a stream batch, as the app-quotas entry point does. */
export type StreamBatchHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/** Settings of a {@link startStreamPoller}. */
export interface StreamPollerOptions extends TableStreamOptions {
  readonly handler: StreamBatchHandler;
  readonly context: () => Context;
  readonly intervalMs?: number;
  /** Where a failure is told. @default stderr */
  readonly report?: (line: string) => void;
}

const stderrLine = (line: string) => {
  process.stderr.write(`${line}\n`);
};

/** A running poller. */
export interface StreamPoller {
  readonly streamArn: string;
  /** Stops polling, after the batch in hand. */
  stop(): Promise<void>;
}

/**
 * Delivers one shard's records to the handler as the event source mapping does: filtered to
 * counter records, in batches, in order; a batch item failure is delivered again from the record
 * it names (the records after it too) on the next pass. Returns the records still to deliver.
 */
const deliver = async (
  records: readonly DynamoDBRecord[],
  options: StreamPollerOptions,
  attempts: Map<string, number>,
): Promise<DynamoDBRecord[]> => {
  const report = options.report ?? stderrLine;
  for (const event of lambdaEventsOf(records, COUNTER_RECORDS_PATTERN, STREAM_BATCH_SIZE)) {
    let failed: string | undefined;
    try {
      failed = (await options.handler(event, options.context())).batchItemFailures[0]?.itemIdentifier;
    } catch (error) {
      report(`counter stream batch failed: ${(error as Error).message}`);
      failed = event.Records[0]?.dynamodb?.SequenceNumber;
    }
    if (failed === undefined) continue;
    const at = records.findIndex((record) => record.dynamodb?.SequenceNumber === failed);
    const count = (attempts.get(failed) ?? 0) + 1;
    attempts.set(failed, count);
    if (count < STREAM_MAX_ATTEMPTS) return records.slice(Math.max(at, 0));
    report(`counter stream record ${failed} given up after ${count} attempts`);
    attempts.delete(failed);
    return records.slice(at + 1);
  }
  return [];
};

/**
 * Reads a table's stream on DynamoDB Local and hands its counter records to `handler` every
 * `intervalMs`, as Lambda's event source mapping does with the deployed table's stream: what
 * `npm start` runs beside the API, so the usage history and threshold events work locally with
 * the same code and event shape.
 */
export const startStreamPoller = async (options: StreamPollerOptions): Promise<StreamPoller> => {
  const reader = await TableStreamReader.open(options);
  const report = options.report ?? stderrLine;
  const pending = new Map<string, readonly DynamoDBRecord[]>();
  const attempts = new Map<string, number>();
  let stopped = false;
  let running: Promise<void> | undefined;
  const pass = async () => {
    for (const { shardId, records } of await reader.read())
      pending.set(shardId, [...(pending.get(shardId) ?? []), ...records]);
    for (const [shardId, records] of pending) {
      const left = await deliver(records, options, attempts);
      if (left.length > 0) pending.set(shardId, left);
      else pending.delete(shardId);
    }
  };
  // One pass at a time: a tick that finds the last pass still going is skipped.
  const timer = setInterval(() => {
    if (stopped || running) return;
    running = pass()
      .catch((error: unknown) => report(`counter stream not read: ${(error as Error).message}`))
      .finally(() => {
        running = undefined;
      });
  }, options.intervalMs ?? STREAM_POLL_INTERVAL_MS);
  // The server keeps the process alive; the poller alone must not.
  timer.unref();
  return {
    streamArn: reader.streamArn,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      reader.close();
    },
  };
};
