import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeadlineExceeded, recordWriteAttempt, requestDeadline } from './request-scope.ts';

/** Where the client connects. */
export interface ClientOptions {
  readonly region: string;
  /** DynamoDB Local's URL; absent in AWS. */
  readonly endpoint?: string | undefined;
  /**
   * Replaces the SDK's standard retry strategy (same attempts): only for runs on a virtual clock,
   * where waiting real time between attempts would measure nothing.
   */
  readonly retryStrategy?: DynamoDBClientConfig['retryStrategy'];
  /** Replaces the time allowed to connect and to answer (tests that stall DynamoDB on purpose). */
  readonly timeouts?: { readonly connectionTimeoutMs: number; readonly requestTimeoutMs: number };
}

/**
 * How long one request to DynamoDB may take, and how often the SDK tries it. A DynamoDB request
 * answers in single-digit milliseconds; 500 ms to connect and 1 s to answer mark a sick connection,
 * not a slow table. A request past its time is abandoned and tried again (the SDK only warns unless
 * `throwOnRequestTimeout` is set, and would wait on a hung connection for ever), 3 attempts in all
 * (standard mode: exponential backoff with jitter, at most 100 ms x 2 + 100 ms x 4 between them):
 * at most {@link WORST_CASE_MS} per call, which every function's timeout exceeds (a unit test checks).
 * An abandoned write may still land: transactions carry a client request token, so DynamoDB applies
 * a retried one once; a consume carries its request id; a create records its answer under a client
 * token (see create app).
 */
export const SDK_SETTINGS = { maxAttempts: 3, connectionTimeoutMs: 500, requestTimeoutMs: 1000 } as const;

/** The longest one call can take with {@link SDK_SETTINGS} against a DynamoDB that never answers. */
export const WORST_CASE_MS =
  SDK_SETTINGS.maxAttempts * (SDK_SETTINGS.connectionTimeoutMs + SDK_SETTINGS.requestTimeoutMs) + 100 * 2 + 100 * 4;

/**
 * DynamoDB Local on a busy laptop or CI machine is slow, not sick: it gets more time to accept a
 * connection and far more to answer. Its JVM shares the machine's cores with the tests, and it
 * runs transactions one at a time: on two loaded cores (three test suites at once, load average
 * 10) 1 s and then 10 s to connect turned into 503s, and 100 creates sent at once queued past 10 s,
 * that no deployment would see.
 */
export const LOCAL_TIMEOUTS = { connectionTimeoutMs: 30_000, requestTimeoutMs: 60_000 } as const;

/**
 * The document client. In AWS it uses the function's role; against DynamoDB Local, which accepts
 * any credentials, it uses fixed ones so no AWS profile is needed.
 */
export const createDocumentClient = ({
  region,
  endpoint,
  retryStrategy,
  timeouts,
}: ClientOptions): DynamoDBDocumentClient => {
  const chosen = timeouts ?? (endpoint ? LOCAL_TIMEOUTS : SDK_SETTINGS);
  const client = new DynamoDBClient({
    region,
    ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    maxAttempts: SDK_SETTINGS.maxAttempts,
    retryMode: 'standard',
    ...(retryStrategy ? { retryStrategy } : {}),
    requestHandler: {
      connectionTimeout: chosen.connectionTimeoutMs,
      requestTimeout: chosen.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
  // The SDK's logger middleware builds a redacted copy of every response for the client's logger
  // even when that logger is the default no-op one: for a 1,000-item Query that copy is ~4 ms of
  // CPU (npm run bench, list bound apps). No logger is ever given to this client, so it goes.
  client.middlewareStack.remove('loggerMiddleware');
  // Inside the SDK's retries, so it sees every attempt of a write and what became of it.
  client.middlewareStack.addRelativeTo(recordWritesMiddleware as unknown as RelativeMiddleware, {
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    name: 'recordWrites',
  });
  const document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  // Looked up at each call, not bound once: a test's mock of the class's send replaces it later.
  const send: Send = (command, options) =>
    (DynamoDBDocumentClient.prototype.send as unknown as Send).call(document, command, options);
  (document as unknown as { send: Send }).send = (command, options) => sendBeforeDeadline(send, command, options);
  return document;
};

/** The stack's middleware type: overloaded per step, so a middleware cannot be typed from its use. */
type RelativeMiddleware = Parameters<DynamoDBClient['middlewareStack']['addRelativeTo']>[0];

const recordWritesMiddleware =
  (next: (args: unknown) => Promise<unknown>, context: { readonly commandName?: string }) => (args: unknown) =>
    recordWrites(String(context.commandName), next(args));

type Send = (command: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;

/** The operations that change the table; every other one the stores send only reads. */
const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'BatchWriteItemCommand',
]);

/**
 * Whether DynamoDB answered a failed attempt, so it certainly changed nothing: a 4xx (a refused
 * condition, a cancelled transaction, throttling) is a verdict; no answer, or a 5xx, is not.
 */
const answered = (error: unknown): boolean => {
  const failure = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = failure.$metadata?.httpStatusCode;
  return (
    (status !== undefined && status < 500) ||
    failure.name === 'ProvisionedThroughputExceededException' ||
    failure.name === 'ThrottlingException' ||
    failure.name === 'ConditionalCheckFailedException' ||
    failure.name === 'TransactionCanceledException'
  );
};

/**
 * Tells the request's scope what one attempt of a write became, so a failure can be answered
 * truthfully: "retry later" only when no write landed and none was left unanswered.
 */
const recordWrites = async <T>(commandName: string, attempt: Promise<T>): Promise<T> => {
  if (!WRITES.has(commandName)) return attempt;
  try {
    const result = await attempt;
    recordWriteAttempt('landed');
    return result;
  } catch (error) {
    if (!answered(error)) recordWriteAttempt('uncertain');
    throw error;
  }
};

/**
 * Sends a command within its request's deadline (see `withRequestDeadline`): the SDK gets the
 * request's abort signal, which ends an attempt in flight and the wait between attempts;
 * past the deadline nothing more is sent, so no write leaves after its request was answered.
 */
const sendBeforeDeadline = async (send: Send, command: unknown, options?: { abortSignal?: AbortSignal }) => {
  const signal = requestDeadline();
  if (signal === undefined) return send(command, options);
  if (signal.aborted) throw new DeadlineExceeded(false);
  try {
    return await send(command, { ...options, abortSignal: signal });
  } catch (error) {
    if (signal.aborted) throw new DeadlineExceeded(true, { cause: error });
    throw error;
  }
};
