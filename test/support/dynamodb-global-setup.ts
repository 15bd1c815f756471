import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '#local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/** Starts one in-memory DynamoDB Local for the integration tier; each test file makes its own table. */
export default async function setup(project: TestProject) {
  const local = await startDynamoDbLocal({ port: 0, timeoutMs: 90_000 });
  project.provide('dynamodbEndpoint', local.endpoint);
  return () => local.stop();
}
