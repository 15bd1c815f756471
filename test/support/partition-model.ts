/**
 * A model of DynamoDB's per-partition limits, for the tests and the bench only (never deployed):
 * a client middleware that charges every request to the partition key it reaches, as DynamoDB
 * meters it, and throttles a request, as DynamoDB does, when its partition key has no capacity
 * left in the current second.
 *
 * Charges: a write costs ceil(max(item size before, after) / 1 KB) WCU, at least 1, also when its
 * condition fails; each item of a transaction twice that (condition checks included); a strongly
 * consistent read ceil(size / 4 KB) RCU per item (at least 1), an eventually consistent one half;
 * a Query ceil(total size / 4 KB). Sizes follow DynamoDB's rules (attribute names and values in
 * bytes, numbers about one byte per two digits). The size of an item before a write is the last
 * size the model saw of it (from a write's request or answer, or a read), 0 for one never seen.
 * Throttled requests are refused before they reach the table with ProvisionedThroughputExceeded,
 * which the SDK retries as it would DynamoDB's. Not modelled: burst capacity, adaptive capacity,
 * index write costs, the 10 GB item-collection limit.
 *
 * In parts: ./partition-model/item-size.ts sizes items, ./partition-model/meter.ts charges
 * requests and keeps the budgets, and this module puts them on a client as SDK middleware.
 */
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createMeter, type PartitionUsage } from './partition-model/meter.ts';

export { itemSize } from './partition-model/item-size.ts';
export type { PartitionUsage } from './partition-model/meter.ts';

/** What the model's throttling says: how a log line or a test tells it from DynamoDB's own. */
export const THROTTLED_MESSAGE =
  'The level of configured provisioned throughput for the table was exceeded (partition model)';

// Decodes the bytes themselves: `Buffer.from` of the SDK's JSON body (a Uint8Array with string
// methods) calls its `valueOf`, which converts it and makes the SDK warn ("JsonCodec2").
const utf8 = new TextDecoder();

/** How the model meters and limits. */
export interface PartitionModelOptions {
  /** WCU per second one partition key may take (DynamoDB's partition: 1,000). */
  readonly wcuPerSecond: number;
  /** RCU per second one partition key may take (DynamoDB's partition: 3,000); 3 x the WCU by default. */
  readonly rcuPerSecond?: number;
  /** The model's clock in milliseconds: `Date.now` in the bench, a virtual clock in tests. */
  readonly now: () => number;
  /** The partition a key is charged to (the key itself by default; a test can fold keys together). */
  readonly partitionOf?: (pk: string) => string;
}

/** The installed model: what it charged so far, and how to take it out. */
export interface PartitionModel {
  /** Requests refused as throttled (each attempt counts). */
  readonly throttled: number;
  readonly wcu: number;
  readonly rcu: number;
  readonly byPartition: ReadonlyMap<string, PartitionUsage>;
  /** The most WCU any one partition key took in any one second. */
  readonly peakWcuPerSecond: number;
  reset(): void;
  remove(): void;
}

/**
 * Installs the model on a client (a document client shares its stack with the client it wraps),
 * inside the SDK's retry loop, so a throttled attempt is retried by the SDK as a real one is.
 */
export const installPartitionModel = (
  client: DynamoDBDocumentClient,
  options: PartitionModelOptions,
): PartitionModel => {
  const meter = createMeter({
    wcuPerSecond: options.wcuPerSecond,
    rcuPerSecond: options.rcuPerSecond ?? 3 * options.wcuPerSecond,
    now: options.now,
    partitionOf: options.partitionOf ?? ((pk: string) => pk),
  });
  const name = `partitionModel${Math.random()}`;

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      const body = (args.request as { body?: unknown } | undefined)?.body;
      // The SDK sends the JSON body as a string or as its UTF-8 bytes.
      const text = typeof body === 'string' ? body : body instanceof Uint8Array ? utf8.decode(body) : '';
      const input = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const charges = meter.expected(operation, input);
      const hot = meter.overBudget(charges);
      if (hot !== undefined) {
        meter.refuse(hot);
        throw new ProvisionedThroughputExceededException({ message: THROTTLED_MESSAGE, $metadata: {} });
      }
      try {
        const result = await next(args);
        meter.settle(operation, input, (result as { output?: Record<string, unknown> }).output, undefined);
        return result;
      } catch (error) {
        // A refused condition or a cancelled transaction is charged as DynamoDB charges it.
        const named = (error as { name?: string }).name;
        if (named === 'ConditionalCheckFailedException' || named === 'TransactionCanceledException') {
          meter.settle(operation, input, undefined, error);
        }
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name },
  );

  return {
    get throttled() {
      return meter.throttled;
    },
    get wcu() {
      return meter.wcu;
    },
    get rcu() {
      return meter.rcu;
    },
    get peakWcuPerSecond() {
      return meter.peak;
    },
    byPartition: meter.byPartition,
    reset: () => meter.reset(),
    remove: () => client.middlewareStack.remove(name),
  };
};
