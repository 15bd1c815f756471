import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** A fault for requests of one DynamoDB operation. */
export interface Fault {
  /** The operation, e.g. `TransactWriteItems`, `UpdateItem`, `PutItem`. */
  readonly operation: string;
  /**
   * `throttle`: refused before reaching DynamoDB, as a throttled request is;
   * `timeout`: never reaches DynamoDB, the connection times out;
   * `lost-answer`: reaches DynamoDB and takes effect, then the answer is lost (a timeout);
   * `conflict`: a transaction cancelled by a concurrent one.
   */
  readonly kind: 'throttle' | 'timeout' | 'lost-answer' | 'conflict';
  /** How many requests it hits (all of them when absent). */
  readonly times?: number;
}

const timeout = () => Object.assign(new Error('Connection timed out (injected)'), { name: 'TimeoutError' });

/**
 * Injects faults into a client's requests, inside the SDK's retry loop (so the SDK retries them as
 * it would real ones). Returns how many requests of each operation were attempted.
 */
export const injectFaults = (client: DynamoDBDocumentClient, ...faults: Fault[]) => {
  const remaining = faults.map((fault) => ({ ...fault, left: fault.times ?? Number.POSITIVE_INFINITY }));
  const attempts: Record<string, number> = {};
  const name = `faultInjector${Math.random()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      attempts[operation] = (attempts[operation] ?? 0) + 1;
      const fault = remaining.find((f) => f.operation === operation && f.left > 0);
      if (!fault) return next(args);
      fault.left -= 1;
      switch (fault.kind) {
        case 'throttle':
          throw new ProvisionedThroughputExceededException({ message: 'Rate exceeded (injected)', $metadata: {} });
        case 'timeout':
          throw timeout();
        case 'conflict':
          // A transaction is cancelled by a conflict; a single-item write is refused outright.
          if (operation !== 'TransactWriteItems') {
            throw new TransactionConflictException({ message: 'Item in a transaction (injected)', $metadata: {} });
          }
          throw new TransactionCanceledException({
            message: 'Transaction cancelled (injected)',
            $metadata: {},
            CancellationReasons: [{ Code: 'TransactionConflict' }],
          });
        case 'lost-answer':
          await next(args);
          throw timeout();
      }
    },
    { step: 'finalizeRequest', priority: 'low', name },
  );
  return { attempts, remove: () => client.middlewareStack.remove(name) };
};
