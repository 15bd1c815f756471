/**
 * The floor of any data plane on the AWS SDK, bundled by the bench exactly as the functions are:
 * the DynamoDB document client, built by the same `createDocumentClient` as the data plane's (same
 * settings, same default credential chain), sending one conditional UpdateItem like a consume's.
 * Never deployed.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '#store/table/client.ts';

const client = createDocumentClient({
  region: process.env.AWS_REGION ?? 'us-east-1',
  endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
});

/** One UpdateItem, as a consume's: take a unit from the open window. */
export const handler = () =>
  client.send(
    new UpdateCommand({
      TableName: process.env.TABLE_NAME,
      Key: { pk: 'floor', sk: 'floor' },
      UpdateExpression: 'SET remaining = remaining - :cost',
      ConditionExpression: 'window_end_ms > :now AND remaining >= :cost',
      ExpressionAttributeValues: { ':cost': 1, ':now': Date.now() },
      ReturnValues: 'ALL_NEW',
    }),
  );
