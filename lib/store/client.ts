import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
}

/**
 * How long one request to DynamoDB may take, and how often the SDK tries it. A DynamoDB request
 * answers in single-digit milliseconds; 1 s to connect and 2 s to answer mark a sick connection,
 * not a slow table, and 3 attempts (standard mode: exponential backoff with jitter) ride out a
 * throttling burst while staying inside the data plane's 3 s function timeout most of the time.
 * Every retried write is safe: transactions carry an idempotency token, a consume its request id.
 */
export const SDK_SETTINGS = { maxAttempts: 3, connectionTimeoutMs: 1000, requestTimeoutMs: 2000 } as const;

/**
 * DynamoDB Local on a busy laptop or CI machine is slow, not sick: it gets more time to accept a
 * connection and to answer. Its JVM shares the machine's cores with the tests; on two loaded cores
 * the deployment's 1 s to connect turned into 503s that no deployment would see.
 */
export const LOCAL_REQUEST_TIMEOUT_MS = 10_000;

/**
 * The document client. In AWS it uses the function's role; against DynamoDB Local, which accepts
 * any credentials, it uses fixed ones so no AWS profile is needed.
 */
export const createDocumentClient = ({ region, endpoint, retryStrategy }: ClientOptions): DynamoDBDocumentClient => {
  const client = new DynamoDBClient({
    region,
    ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    maxAttempts: SDK_SETTINGS.maxAttempts,
    retryMode: 'standard',
    ...(retryStrategy ? { retryStrategy } : {}),
    requestHandler: {
      connectionTimeout: endpoint ? LOCAL_REQUEST_TIMEOUT_MS : SDK_SETTINGS.connectionTimeoutMs,
      requestTimeout: endpoint ? LOCAL_REQUEST_TIMEOUT_MS : SDK_SETTINGS.requestTimeoutMs,
    },
  });
  // The SDK's logger middleware builds a redacted copy of every response for the client's logger
  // even when that logger is the default no-op one: for a 1,000-item Query that copy is ~4 ms of
  // CPU (npm run bench, list bound apps). No logger is ever given to this client, so it goes.
  client.middlewareStack.remove('loggerMiddleware');
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
};
