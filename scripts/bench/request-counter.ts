import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One request as it went on the wire. */
export interface SentRequest {
  /** The DynamoDB operation, e.g. `UpdateItem`. */
  readonly operation: string;
}

/** What a client sent since the last reset. */
export interface RequestCounter {
  readonly sent: readonly SentRequest[];
  reset(): void;
}

/**
 * Counts every request (each attempt included) a client sends, by operation, with a middleware at
 * the end of the stack: the integration tests' counter (test/support/request-counter.ts) counts
 * operations only; the bench also reports what each request was. A document client shares its
 * stack with the client it wraps.
 */
export const countRequests = (client: DynamoDBClient | DynamoDBDocumentClient): RequestCounter => {
  const sent: SentRequest[] = [];
  const counter: RequestCounter = {
    sent,
    reset: () => {
      sent.length = 0;
    },
  };
  const record = (commandName: unknown) => {
    sent.push({ operation: String(commandName).replace(/Command$/, '') });
  };
  const options = { step: 'finalizeRequest', priority: 'low', name: 'benchRequestCounter' } as const;
  if (client instanceof DynamoDBDocumentClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        record(context.commandName);
        return next(args);
      },
      options,
    );
  } else if (client instanceof DynamoDBClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        record(context.commandName);
        return next(args);
      },
      options,
    );
  }
  return counter;
};
