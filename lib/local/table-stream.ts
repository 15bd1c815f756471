import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type ShardIteratorType,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type FilterPattern, matchesPattern } from '#store/table/stream-filter.ts';

/** Where a reader starts: every record the stream still holds, or only those written from now on. */
export type StreamStart = 'TRIM_HORIZON' | 'LATEST';

/** The table whose stream is read, on DynamoDB Local (or any endpoint). */
export interface TableStreamOptions {
  readonly endpoint: string;
  readonly tableName: string;
  readonly region?: string;
  readonly start?: StreamStart;
}

/** What one read found in one shard, in order. */
export interface ShardRecords {
  readonly shardId: string;
  readonly records: readonly DynamoDBRecord[];
}

/** One shard as the reader follows it. */
interface ShardCursor {
  readonly shard: Shard;
  /** The next GetRecords iterator; null once the shard is closed and read to its end. */
  iterator: string | null | undefined;
  /** The last record read, to start again after it when an iterator expires. */
  lastSequence: string | undefined;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A stream record as Lambda's event source mapping hands it to the function: times in epoch seconds, the stream's ARN. */
export const lambdaRecordOf = (record: _Record, streamArn: string): DynamoDBRecord => {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  return {
    ...(record as Omit<DynamoDBRecord, 'dynamodb'>),
    dynamodb: {
      ...(stream as NonNullable<DynamoDBRecord['dynamodb']>),
      ...(created ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
    },
    eventSourceARN: streamArn,
  };
};

/**
 * The events Lambda's event source mapping would send for one shard's records: those the filter
 * keeps (the others are dropped, as Lambda drops them before invoking), in order, at most
 * `batchSize` per event.
 */
export const lambdaEventsOf = (
  records: readonly DynamoDBRecord[],
  pattern: FilterPattern,
  batchSize: number,
): DynamoDBStreamEvent[] => {
  const kept = records.filter((record) => matchesPattern(pattern, record));
  const events: DynamoDBStreamEvent[] = [];
  for (let start = 0; start < kept.length; start += batchSize)
    events.push({ Records: kept.slice(start, start + batchSize) });
  return events;
};

/**
 * Reads a table's DynamoDB stream with the DynamoDB Streams API, as Lambda's pollers do: the
 * stream's shards (DescribeStream), an iterator per shard (GetShardIterator), its records in order
 * (GetRecords), a child shard only once its parent is read to its end. Each {@link read} returns
 * what was written since the last one, per shard, in Lambda's record shape.
 */
export class TableStreamReader {
  readonly streamArn: string;
  readonly #client: DynamoDBStreamsClient;
  readonly #start: StreamStart;
  readonly #cursors = new Map<string, ShardCursor>();
  #firstPass = true;

  private constructor(client: DynamoDBStreamsClient, streamArn: string, start: StreamStart) {
    this.#client = client;
    this.streamArn = streamArn;
    this.#start = start;
  }

  /** Opens the stream of a table, which must have one (the table definition enables it). */
  static async open(options: TableStreamOptions): Promise<TableStreamReader> {
    const region = options.region ?? 'us-east-1';
    const tables = new DynamoDBClient({ endpoint: options.endpoint, region, credentials: LOCAL_CREDENTIALS });
    const { Table } = await tables
      .send(new DescribeTableCommand({ TableName: options.tableName }))
      .finally(() => tables.destroy());
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn || Table?.StreamSpecification?.StreamEnabled === false)
      throw new Error(`table ${options.tableName} has no stream`);
    const client = new DynamoDBStreamsClient({ endpoint: options.endpoint, region, credentials: LOCAL_CREDENTIALS });
    const reader = new TableStreamReader(client, streamArn, options.start ?? 'LATEST');
    // Positions taken now: with LATEST, what is written after open() is read, nothing before.
    await reader.#discover();
    return reader;
  }

  /** The records written since the last read (or the start), per shard, each shard's in order. */
  async read(): Promise<ShardRecords[]> {
    await this.#discover();
    const out: ShardRecords[] = [];
    for (const [shardId, cursor] of this.#cursors) {
      const parent = cursor.shard.ParentShardId ? this.#cursors.get(cursor.shard.ParentShardId) : undefined;
      if (parent && parent.iterator !== null) continue;
      const records = await this.#drain(cursor);
      if (records.length > 0) out.push({ shardId, records });
    }
    return out;
  }

  /** Stops the reader's client. */
  close(): void {
    this.#client.destroy();
  }

  async #discover(): Promise<void> {
    let start: string | undefined;
    const shards: Shard[] = [];
    do {
      const { StreamDescription } = await this.#client.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    for (const shard of shards) {
      if (!shard.ShardId || this.#cursors.has(shard.ShardId)) continue;
      // A shard found after the start holds only records written since: read it from its beginning.
      const type: ShardIteratorType = this.#firstPass ? this.#start : 'TRIM_HORIZON';
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      const cursor: ShardCursor = {
        shard,
        iterator: this.#firstPass && type === 'LATEST' && closed ? null : undefined,
        lastSequence: undefined,
      };
      if (cursor.iterator === undefined) cursor.iterator = await this.#iterator(shard, type);
      this.#cursors.set(shard.ShardId, cursor);
    }
    this.#firstPass = false;
  }

  async #iterator(shard: Shard, type: ShardIteratorType, after?: string): Promise<string | null> {
    const { ShardIterator } = await this.#client.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : type,
        SequenceNumber: after,
      }),
    );
    return ShardIterator ?? null;
  }

  /** Every record a shard has now, GetRecords after GetRecords until one returns none. */
  async #drain(cursor: ShardCursor): Promise<DynamoDBRecord[]> {
    const records: DynamoDBRecord[] = [];
    let trimmed = false;
    while (cursor.iterator) {
      let output: { Records?: _Record[]; NextShardIterator?: string };
      try {
        output = await this.#client.send(new GetRecordsCommand({ ShardIterator: cursor.iterator }));
      } catch (error) {
        // An iterator that expired resumes after the last record read. One whose position the
        // shard no longer holds (DynamoDB Local answers so for a LATEST position under load)
        // resumes at the oldest record still there: records read twice are harmless, the
        // handler being idempotent, while records skipped would be lost.
        if (error instanceof ExpiredIteratorException && !trimmed) {
          cursor.iterator = await this.#iterator(cursor.shard, 'TRIM_HORIZON', cursor.lastSequence);
          continue;
        }
        if (!(error instanceof TrimmedDataAccessException) || trimmed) throw error;
        trimmed = true;
        cursor.iterator = await this.#iterator(cursor.shard, 'TRIM_HORIZON');
        continue;
      }
      const batch = output.Records ?? [];
      for (const record of batch) records.push(lambdaRecordOf(record, this.streamArn));
      cursor.lastSequence = batch.at(-1)?.dynamodb?.SequenceNumber ?? cursor.lastSequence;
      cursor.iterator = output.NextShardIterator ?? null;
      if (batch.length === 0) break;
    }
    return records;
  }
}
