import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Where the client connects. */
export interface ClientOptions {
  readonly region: string;
  /** DynamoDB Local's URL; absent in AWS. */
  readonly endpoint?: string | undefined;
}

/**
 * The document client. In AWS it uses the function's role; against DynamoDB Local, which accepts
 * any credentials, it uses fixed ones so no AWS profile is needed.
 */
export const createDocumentClient = ({ region, endpoint }: ClientOptions): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region,
      ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      maxAttempts: 3,
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
