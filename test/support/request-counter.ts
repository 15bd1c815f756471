import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Counts every request (each attempt included) a client sends to DynamoDB, by operation. */
export const countRequests = (client: DynamoDBDocumentClient) => {
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'requestCounter' },
  );
  return {
    /** The operations sent since the last reset. */
    get sent(): readonly string[] {
      return sent;
    },
    reset: () => {
      sent.length = 0;
    },
  };
};

/** Counts the items every Query a client sends reads back (page after page). */
export const countQueriedItems = (client: DynamoDBDocumentClient) => {
  const name = `queriedItems${Math.random()}`;
  const counted = { items: 0, remove: () => client.middlewareStack.remove(name) };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'QueryCommand') {
        counted.items += ((result.output as { Items?: unknown[] }).Items ?? []).length;
      }
      return result;
    },
    { step: 'initialize', name },
  );
  return counted;
};
