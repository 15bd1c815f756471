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
 */
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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

/** What one partition key took. */
export interface PartitionUsage {
  wcu: number;
  rcu: number;
  requests: number;
  throttled: number;
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

type AttributeValue = Record<string, unknown>;
type Item = Record<string, AttributeValue>;

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** DynamoDB's size of one attribute value. */
const valueSize = (value: AttributeValue): number => {
  const [type, inner] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return bytes(inner as string);
    case 'N': {
      const digits = String(inner).replace(/^-|\.|^0+|0+$/g, '').length;
      return Math.ceil(Math.max(1, digits) / 2) + 1;
    }
    case 'B':
      return typeof inner === 'string' ? Buffer.from(inner, 'base64').length : (inner as Uint8Array).length;
    case 'SS':
      return (inner as string[]).reduce((sum, s) => sum + bytes(s), 0);
    case 'NS':
      return (inner as string[]).reduce((sum, n) => sum + valueSize({ N: n }), 0);
    case 'L':
      return 3 + (inner as AttributeValue[]).reduce((sum, v) => sum + 1 + valueSize(v), 0);
    case 'M':
      return 3 + Object.entries(inner as Item).reduce((sum, [name, v]) => sum + 1 + bytes(name) + valueSize(v), 0);
    default:
      return 1;
  }
};

/** DynamoDB's size of an item (marshalled): every attribute's name and value. */
export const itemSize = (item: Readonly<Record<string, object>> | undefined): number =>
  item
    ? Object.entries(item).reduce((sum, [name, value]) => sum + bytes(name) + valueSize(value as AttributeValue), 0)
    : 0;

const stringOf = (value: AttributeValue | undefined): string => String((value as { S?: string } | undefined)?.S ?? '');

const KB = 1024;

/** What one request will be charged, by partition key. */
interface Charge {
  readonly pk: string;
  readonly itemId: string;
  wcu: number;
  rcu: number;
}

/**
 * Installs the model on a client (a document client shares its stack with the client it wraps),
 * inside the SDK's retry loop, so a throttled attempt is retried by the SDK as a real one is.
 */
export const installPartitionModel = (
  client: DynamoDBDocumentClient,
  options: PartitionModelOptions,
): PartitionModel => {
  const rcuBudget = options.rcuPerSecond ?? 3 * options.wcuPerSecond;
  const partitionOf = options.partitionOf ?? ((pk: string) => pk);
  const sizes = new Map<string, number>();
  const seconds = new Map<string, { second: number; wcu: number; rcu: number }>();
  const byPartition = new Map<string, PartitionUsage>();
  let totals = { throttled: 0, wcu: 0, rcu: 0, peak: 0 };
  const name = `partitionModel${Math.random()}`;

  const idOf = (key: Item) => `${stringOf(key.pk)}\u0000${stringOf(key.sk)}`;
  const usageOf = (pk: string): PartitionUsage => {
    let usage = byPartition.get(pk);
    if (!usage) {
      usage = { wcu: 0, rcu: 0, requests: 0, throttled: 0 };
      byPartition.set(pk, usage);
    }
    return usage;
  };
  const secondOf = (pk: string) => {
    const second = Math.floor(options.now() / 1000);
    let bucket = seconds.get(pk);
    if (!bucket || bucket.second !== second) {
      bucket = { second, wcu: 0, rcu: 0 };
      seconds.set(pk, bucket);
    }
    return bucket;
  };
  const writeUnits = (id: string, after: number) => Math.max(1, Math.ceil(Math.max(sizes.get(id) ?? 0, after) / KB));
  const readUnits = (size: number, consistent: boolean) =>
    Math.max(consistent ? 1 : 0.5, Math.ceil(size / (4 * KB)) * (consistent ? 1 : 0.5));

  /** The charges a request is expected to take, before it is sent (sizes as last seen). */
  const expected = (operation: string, input: Record<string, unknown>): Charge[] => {
    const write = (key: Item, after = 0, factor = 1): Charge => ({
      pk: partitionOf(stringOf(key.pk)),
      itemId: idOf(key),
      wcu: factor * writeUnits(idOf(key), after),
      rcu: 0,
    });
    switch (operation) {
      case 'PutItem':
        return [write(input.Item as Item, itemSize(input.Item as Item))];
      case 'UpdateItem':
      case 'DeleteItem':
        return [write(input.Key as Item)];
      case 'TransactWriteItems':
        return ((input.TransactItems ?? []) as Array<Record<string, Record<string, unknown>>>).map((action) => {
          const [kind, body] = Object.entries(action)[0] as [string, Record<string, unknown>];
          return kind === 'Put'
            ? write(body.Item as Item, itemSize(body.Item as Item), 2)
            : write(body.Key as Item, 0, 2);
        });
      case 'GetItem': {
        const key = input.Key as Item;
        return [{ pk: partitionOf(stringOf(key.pk)), itemId: idOf(key), wcu: 0, rcu: 0 }];
      }
      case 'BatchGetItem':
        return Object.values((input.RequestItems ?? {}) as Record<string, { Keys: Item[] }>).flatMap((table) =>
          table.Keys.map((key) => ({ pk: partitionOf(stringOf(key.pk)), itemId: idOf(key), wcu: 0, rcu: 0 })),
        );
      case 'Query': {
        const values = (input.ExpressionAttributeValues ?? {}) as Item;
        return [{ pk: partitionOf(stringOf(values[':pk'])), itemId: '', wcu: 0, rcu: 0 }];
      }
      default:
        return [];
    }
  };

  const throttle = (charges: readonly Charge[]) => {
    const byPk = new Map<string, { wcu: number; rcu: number }>();
    for (const charge of charges) {
      const sum = byPk.get(charge.pk) ?? { wcu: 0, rcu: 0 };
      sum.wcu += charge.wcu;
      sum.rcu += charge.rcu || 0.5;
      byPk.set(charge.pk, sum);
    }
    for (const [pk, sum] of byPk) {
      const bucket = secondOf(pk);
      if (bucket.wcu + sum.wcu > options.wcuPerSecond || bucket.rcu + sum.rcu > rcuBudget) return pk;
    }
    return undefined;
  };

  const charge = (pk: string, wcu: number, rcu: number) => {
    const bucket = secondOf(pk);
    bucket.wcu += wcu;
    bucket.rcu += rcu;
    totals.peak = Math.max(totals.peak, bucket.wcu);
    const usage = usageOf(pk);
    usage.wcu += wcu;
    usage.rcu += rcu;
    usage.requests += 1;
    totals.wcu += wcu;
    totals.rcu += rcu;
  };

  /** Charges what a request actually took, from its input and its answer (or its failure). */
  const settle = (
    operation: string,
    input: Record<string, unknown>,
    output: Record<string, unknown> | undefined,
    error: unknown,
  ) => {
    const consistent = input.ConsistentRead === true;
    switch (operation) {
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem': {
        const key = (operation === 'PutItem' ? input.Item : input.Key) as Item;
        const id = idOf(key);
        const failedItem = (error as { Item?: Item } | undefined)?.Item;
        const after =
          operation === 'DeleteItem'
            ? 0
            : operation === 'PutItem'
              ? itemSize(input.Item as Item)
              : itemSize((output?.Attributes as Item | undefined) ?? failedItem);
        const before = failedItem ? itemSize(failedItem) : (sizes.get(id) ?? 0);
        charge(partitionOf(stringOf(key.pk)), Math.max(1, Math.ceil(Math.max(before, after) / KB)), 0);
        if (error) sizes.set(id, before);
        else if (operation === 'DeleteItem') sizes.delete(id);
        else if (after > 0) sizes.set(id, after);
        return;
      }
      case 'TransactWriteItems':
        for (const item of expected(operation, input)) charge(item.pk, item.wcu, 0);
        for (const action of (input.TransactItems ?? []) as Array<Record<string, Record<string, unknown>>>) {
          if (error) break;
          if (action.Put) sizes.set(idOf(action.Put.Item as Item), itemSize(action.Put.Item as Item));
          if (action.Delete) sizes.delete(idOf(action.Delete.Key as Item));
        }
        return;
      case 'GetItem': {
        const key = input.Key as Item;
        const size = itemSize(output?.Item as Item | undefined);
        if (output?.Item) sizes.set(idOf(key), size);
        charge(partitionOf(stringOf(key.pk)), 0, readUnits(size, consistent));
        return;
      }
      case 'BatchGetItem': {
        const tables = Object.values((output?.Responses ?? {}) as Record<string, Item[]>);
        for (const item of tables.flat()) {
          sizes.set(idOf(item), itemSize(item));
          const tableInput = Object.values(
            (input.RequestItems ?? {}) as Record<string, { ConsistentRead?: boolean }>,
          )[0];
          charge(partitionOf(stringOf(item.pk)), 0, readUnits(itemSize(item), tableInput?.ConsistentRead === true));
        }
        return;
      }
      case 'Query': {
        const [target] = expected(operation, input);
        const size = ((output?.Items ?? []) as Item[]).reduce((sum, item) => sum + itemSize(item), 0);
        if (target) charge(target.pk, 0, readUnits(size, consistent));
        return;
      }
      default:
        return;
    }
  };

  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      const body = (args.request as { body?: unknown } | undefined)?.body;
      // The SDK sends the JSON body as a string or as its UTF-8 bytes.
      const text =
        typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : '';
      const input = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const charges = expected(operation, input);
      const hot = throttle(charges);
      if (hot !== undefined) {
        totals.throttled += 1;
        usageOf(hot).throttled += 1;
        throw new ProvisionedThroughputExceededException({
          message: 'The level of configured provisioned throughput for the table was exceeded (partition model)',
          $metadata: {},
        });
      }
      try {
        const result = await next(args);
        settle(operation, input, (result as { output?: Record<string, unknown> }).output, undefined);
        return result;
      } catch (error) {
        // A refused condition or a cancelled transaction is charged as DynamoDB charges it.
        const named = (error as { name?: string }).name;
        if (named === 'ConditionalCheckFailedException' || named === 'TransactionCanceledException') {
          settle(operation, input, undefined, error);
        }
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name },
  );

  return {
    get throttled() {
      return totals.throttled;
    },
    get wcu() {
      return totals.wcu;
    },
    get rcu() {
      return totals.rcu;
    },
    get peakWcuPerSecond() {
      return totals.peak;
    },
    byPartition,
    reset: () => {
      totals = { throttled: 0, wcu: 0, rcu: 0, peak: 0 };
      byPartition.clear();
      seconds.clear();
    },
    remove: () => client.middlewareStack.remove(name),
  };
};
