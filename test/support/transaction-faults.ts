import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Makes a client's transactions fail by number (1 = the first one sent from now on): `crash` as a
 * process dying there would (nothing after it runs), `cancel` as a concurrent change would.
 * Registered under `name`, which the test removes from the client's middleware stack when done.
 */
export const failTransactions = (
  client: DynamoDBDocumentClient,
  name: string,
  plan: Readonly<Record<number, 'crash' | 'cancel'>>,
): void => {
  let sent = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'TransactWriteItemsCommand') {
        sent += 1;
        if (plan[sent] === 'crash') throw new Error('the process died here (injected)');
        if (plan[sent] === 'cancel') {
          throw new TransactionCanceledException({
            message: 'injected',
            $metadata: {},
            CancellationReasons: [{ Code: 'TransactionConflict' }],
          });
        }
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name },
  );
};
