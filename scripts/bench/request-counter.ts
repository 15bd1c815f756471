import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One request as it went on the wire. */
export interface SentRequest {
  /** The DynamoDB operation, e.g. `UpdateItem`. */
  readonly operation: string;
  /** The JSON body sent, parsed; only while {@link RequestCounter.capture} is on. */
  readonly body?: unknown;
}

/** What a client sent since the last reset. */
export interface RequestCounter {
  readonly sent: readonly SentRequest[];
  /** Whether bodies are kept too (off while timing, so the counter costs next to nothing). */
  capture: boolean;
  reset(): void;
}

// The SDK sends a JSON body as a string or as its UTF-8 bytes: both are read, or no shape is ever
// compared and every bare call would pass for its store call.
const bodyOf = (request: unknown): unknown => {
  const body = (request as { body?: unknown } | undefined)?.body;
  if (typeof body === 'string') return JSON.parse(body);
  if (body instanceof Uint8Array) return JSON.parse(Buffer.from(body).toString('utf8'));
  return undefined;
};

/**
 * Counts every request (each attempt included) a client sends, by operation, with a middleware at
 * the end of the stack: the same idea as the integration tests' counter, copied so that scripts
 * never import test code. A document client shares its stack with the client it wraps.
 */
export const countRequests = (client: DynamoDBClient | DynamoDBDocumentClient): RequestCounter => {
  const sent: SentRequest[] = [];
  const counter: RequestCounter = {
    sent,
    capture: false,
    reset: () => {
      sent.length = 0;
    },
  };
  const record = (commandName: unknown, request: unknown) => {
    const operation = String(commandName).replace(/Command$/, '');
    sent.push(counter.capture ? { operation, body: bodyOf(request) } : { operation });
  };
  const options = { step: 'finalizeRequest', priority: 'low', name: 'benchRequestCounter' } as const;
  if (client instanceof DynamoDBDocumentClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        record(context.commandName, args.request);
        return next(args);
      },
      options,
    );
  } else if (client instanceof DynamoDBClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        record(context.commandName, args.request);
        return next(args);
      },
      options,
    );
  }
  return counter;
};

/**
 * The shape of a request body: every expression, option and attribute name kept, every attribute
 * value replaced by its DynamoDB type. Two requests with the same shape are the same command on
 * different data, which is what a bare call must be to its operation's store call.
 */
export const shapeOf = (value: unknown, key = ''): unknown => {
  if (/Expression$|^ReturnValues|^IndexName$|^ConsistentRead$|^ExpressionAttributeNames$/.test(key)) return value;
  if (Array.isArray(value)) return value.map((item) => shapeOf(item));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    // A table name and the per-table maps of batch calls differ only by the table: keep the structure.
    return Object.fromEntries(entries.map(([name, inner]) => [name, shapeOf(inner, name)]));
  }
  if (['S', 'N', 'BOOL', 'NULL'].includes(key)) return key;
  return typeof value;
};
