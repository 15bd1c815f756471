/**
 * The partition model's meter (see ../partition-model.ts): what each request is charged, by
 * partition key, as DynamoDB meters it, and whether a key has the capacity left in the current
 * second for a request. It knows requests only as their operation, input and answer; the SDK
 * middleware that feeds it lives in the model.
 */
import { type Item, itemSize } from './item-size.ts';

/** What the meter needs to know of the model's settings. */
export interface MeterOptions {
  readonly wcuPerSecond: number;
  readonly rcuPerSecond: number;
  readonly now: () => number;
  readonly partitionOf: (pk: string) => string;
}

/** What one partition key took. */
export interface PartitionUsage {
  wcu: number;
  rcu: number;
  requests: number;
  throttled: number;
}

/** What one request will be charged, by partition key. */
export interface Charge {
  readonly pk: string;
  readonly itemId: string;
  wcu: number;
  rcu: number;
}

/** The meter: charges, budgets and what was taken so far. */
export interface Meter {
  /** The charges a request is expected to take, before it is sent (sizes as last seen). */
  expected(operation: string, input: Record<string, unknown>): Charge[];
  /** The partition key these charges would take past its budget this second, if any. */
  overBudget(charges: readonly Charge[]): string | undefined;
  /** Counts a request refused as throttled on `pk`. */
  refuse(pk: string): void;
  /** Charges what a request actually took, from its input and its answer (or its failure). */
  settle(
    operation: string,
    input: Record<string, unknown>,
    output: Record<string, unknown> | undefined,
    error: unknown,
  ): void;
  readonly throttled: number;
  readonly wcu: number;
  readonly rcu: number;
  readonly peak: number;
  readonly byPartition: Map<string, PartitionUsage>;
  /** Forgets what was taken (the sizes seen are kept). */
  reset(): void;
}

const stringOf = (value: Record<string, unknown> | undefined): string =>
  String((value as { S?: string } | undefined)?.S ?? '');

const KB = 1024;

/** A meter with nothing taken yet and no item size seen. */
export const createMeter = (options: MeterOptions): Meter => {
  const { partitionOf } = options;
  const sizes = new Map<string, number>();
  const seconds = new Map<string, { second: number; wcu: number; rcu: number }>();
  const byPartition = new Map<string, PartitionUsage>();
  let totals = { throttled: 0, wcu: 0, rcu: 0, peak: 0 };

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

  const overBudget = (charges: readonly Charge[]) => {
    const byPk = new Map<string, { wcu: number; rcu: number }>();
    for (const charge of charges) {
      const sum = byPk.get(charge.pk) ?? { wcu: 0, rcu: 0 };
      sum.wcu += charge.wcu;
      sum.rcu += charge.rcu || 0.5;
      byPk.set(charge.pk, sum);
    }
    for (const [pk, sum] of byPk) {
      const bucket = secondOf(pk);
      if (bucket.wcu + sum.wcu > options.wcuPerSecond || bucket.rcu + sum.rcu > options.rcuPerSecond) return pk;
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

  return {
    expected,
    overBudget,
    refuse: (pk) => {
      totals.throttled += 1;
      usageOf(pk).throttled += 1;
    },
    settle,
    get throttled() {
      return totals.throttled;
    },
    get wcu() {
      return totals.wcu;
    },
    get rcu() {
      return totals.rcu;
    },
    get peak() {
      return totals.peak;
    },
    byPartition,
    reset: () => {
      totals = { throttled: 0, wcu: 0, rcu: 0, peak: 0 };
      byPartition.clear();
      seconds.clear();
    },
  };
};
