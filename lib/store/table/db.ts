import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  type DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ListQuery, Page } from '#domain/page.ts';
import type { Key } from './keys.ts';

/** The table a store works on. */
export interface Db {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The GetItem of one item, strongly consistent. */
export const getItemInput = (db: Db, key: Key): GetCommandInput => ({
  TableName: db.tableName,
  Key: key,
  ConsistentRead: true,
});

/** One item as stored (strongly consistent), undefined when absent. */
export const getItem = async <T>(db: Db, key: Key): Promise<T | undefined> => {
  const { Item } = await db.client.send(new GetCommand(getItemInput(db, key)));
  return Item as T | undefined;
};

/** Why one action of a cancelled transaction failed, with the item as it was (when asked for). */
export interface CancellationReason {
  readonly code: string | undefined;
  readonly item: Record<string, unknown> | undefined;
}

/**
 * The per-action reasons of a cancelled transaction, in action order, or `undefined` when the
 * error is not a cancellation (throttling, a timeout...), which callers rethrow as-is.
 */
export const cancellationReasons = (error: unknown): readonly CancellationReason[] | undefined => {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((reason) => ({
    code: reason.Code,
    item: reason.Item ? unmarshall(reason.Item) : undefined,
  }));
};

/** Whether a cancellation came from concurrency alone (no condition failed): trying again may succeed. */
const onlyConflicts = (reasons: readonly CancellationReason[]): boolean =>
  reasons.some((reason) => reason.code === 'TransactionConflict') &&
  !reasons.some((reason) => reason.code === 'ConditionalCheckFailed');

/**
 * A transaction's actions by name, in the order they are sent (an object's insertion order); a
 * name may stand for several actions. Absent names send nothing, so optional actions read as
 * `...(cond ? { name: action } : {})`.
 */
export type NamedActions<N extends string> = { readonly [K in N]?: TransactItem | readonly TransactItem[] };

/** A cancelled transaction, read by the names of its actions rather than by their positions. */
export interface Cancellation<N extends string> {
  /** Whether the action named `name` (any of them, for several) failed its condition. */
  failed(name: N): boolean;
  /** The item as it was where `name`'s condition failed, for actions that ask DynamoDB for it. */
  itemOf(name: N): Record<string, unknown> | undefined;
  /** Concurrent changes alone cancelled it (no condition failed): reading again may succeed. */
  readonly overtaken: boolean;
  /** DynamoDB's own error, for a cancellation no rule of the caller explains (rethrown as it came). */
  readonly error: unknown;
}

/** Named actions as the transaction sends them, in order, with each one's name beside it. */
export const namedActionItems = <N extends string>(
  actions: NamedActions<N>,
): { readonly names: readonly string[]; readonly items: TransactItem[] } => {
  const names: string[] = [];
  const items: TransactItem[] = [];
  for (const [name, value] of Object.entries<TransactItem | readonly TransactItem[] | undefined>(actions)) {
    for (const item of value === undefined ? [] : Array.isArray(value) ? value : [value as TransactItem]) {
      names.push(name);
      items.push(item);
    }
  }
  return { names, items };
};

/**
 * Sends one transaction of named actions: `undefined` when it committed, its {@link Cancellation}
 * when DynamoDB cancelled it; any other failure (throttling, a timeout) is thrown as it came.
 */
export const sendNamedTransaction = async <N extends string>(
  db: Db,
  actions: NamedActions<N>,
): Promise<Cancellation<N> | undefined> => {
  const { names, items } = namedActionItems(actions);
  try {
    await sendTransaction(db, items);
    return undefined;
  } catch (error) {
    const reasons = cancellationReasons(error);
    if (!reasons) throw error;
    const failing = (name: N) =>
      reasons.filter((reason, index) => names[index] === name && reason.code === 'ConditionalCheckFailed');
    return {
      failed: (name) => failing(name).length > 0,
      itemOf: (name) => failing(name)[0]?.item,
      overtaken: onlyConflicts(reasons),
      error,
    };
  }
};

/**
 * The Query that {@link queryPage} sends for each page of the result (it adds where the page
 * starts): the input's, strongly consistent, with a name filter as a `contains` on the stored
 * lowercase name, added to the input's own filter.
 */
export const queryPageInput = (
  db: Db,
  input: Omit<QueryCommandInput, 'TableName'>,
  query: ListQuery,
): QueryCommandInput => {
  const filters = [input.FilterExpression, query.name ? 'contains(name_lc, :name)' : undefined].filter(Boolean);
  return {
    ...input,
    ...(filters.length > 0 ? { FilterExpression: filters.map((f) => `(${f})`).join(' AND ') } : {}),
    ExpressionAttributeValues: {
      ...input.ExpressionAttributeValues,
      ...(query.name ? { ':name': query.name.toLowerCase() } : {}),
    },
    TableName: db.tableName,
    ConsistentRead: true,
  };
};

/**
 * Serves one page of a Query: reads the whole result (the total must count every match), keeps
 * the items in `[offset, offset + limit)`. A name filter is a `contains` on the stored lowercase
 * name, added to the input's own filter. Reads are strongly consistent.
 */
export const queryPage = async <T>(
  db: Db,
  input: Omit<QueryCommandInput, 'TableName'>,
  query: ListQuery,
): Promise<Page<T>> => {
  const request = queryPageInput(db, input, query);
  const items: T[] = [];
  let total = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const output = await db.client.send(new QueryCommand({ ...request, ExclusiveStartKey: start }));
    for (const item of output.Items ?? []) {
      if (total >= query.offset && items.length < query.limit) items.push(item as T);
      total += 1;
    }
    start = output.LastEvaluatedKey;
  } while (start);
  return { total, items };
};

/**
 * The first `count` items a Query matches (strongly consistent), in one request: for work taken a
 * batch at a time, which needs no total and must not read past its batch.
 */
export const queryFirst = async <T>(
  db: Db,
  input: Omit<QueryCommandInput, 'TableName'>,
  count: number,
): Promise<T[]> => {
  const output = await db.client.send(
    new QueryCommand({ ...input, TableName: db.tableName, ConsistentRead: true, Limit: count }),
  );
  return (output.Items ?? []) as T[];
};

/** The BatchGetItem of up to 100 keys, strongly consistent. */
export const batchGetInput = (db: Db, keys: readonly (Key | Record<string, unknown>)[]): BatchGetCommandInput => ({
  RequestItems: { [db.tableName]: { Keys: keys.map((key) => ({ ...key })), ConsistentRead: true } },
});

/**
 * The items with these keys that exist, strongly consistent: one BatchGetItem per 100 keys (in
 * parallel), unprocessed keys asked again with backoff.
 */
export const batchGet = async <T>(
  db: Db,
  keys: readonly { readonly pk: string; readonly sk: string }[],
): Promise<T[]> => {
  const found: T[] = [];
  await Promise.all(
    chunks(keys).map(async (batch) => {
      let pending: readonly (Key | Record<string, unknown>)[] = batch;
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0) await new Promise((done) => setTimeout(done, Math.min(1000, 25 * 2 ** attempt)));
        const output = await db.client.send(new BatchGetCommand(batchGetInput(db, pending)));
        found.push(...((output.Responses?.[db.tableName] ?? []) as T[]));
        pending = output.UnprocessedKeys?.[db.tableName]?.Keys ?? [];
      }
    }),
  );
  return found;
};

/** Every item a Query matches (strongly consistent), page after page. */
export const queryAll = async <T>(db: Db, input: Omit<QueryCommandInput, 'TableName'>): Promise<T[]> =>
  (await queryPage<T>(db, input, { offset: 0, limit: Number.MAX_SAFE_INTEGER })).items as T[];

/**
 * One transaction of these actions with a fresh idempotency token. The SDK retries a request whose
 * answer was lost with the same input, token included, and DynamoDB answers that retry with the
 * first attempt's success instead of failing the conditions the first attempt itself satisfied.
 */
export const transactionInput = (items: TransactItem[]): TransactWriteCommandInput => ({
  TransactItems: items,
  ClientRequestToken: randomUUID(),
});

/** Sends one transaction with a fresh idempotency token (see {@link transactionInput}). */
export const sendTransaction = async (db: Db, items: TransactItem[]): Promise<void> => {
  await db.client.send(new TransactWriteCommand(transactionInput(items)));
};

/** Sends one transaction; false when DynamoDB cancelled it (a condition or a concurrent change). */
export const transact = async (db: Db, items: TransactItem[]): Promise<boolean> => {
  try {
    await sendTransaction(db, items);
    return true;
  } catch (error) {
    if (cancellationReasons(error)) return false;
    throw error;
  }
};

/** One action of a transaction. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limit on the actions of one transaction. */
export const MAX_TRANSACTION_ACTIONS = 100;

/** Splits actions into runs that each fit in one transaction. */
export const chunks = <T>(items: readonly T[], size = MAX_TRANSACTION_ACTIONS): T[][] => {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
};
