import { defineConfig } from 'vitest/config';

const env = { LOG_LEVEL: 'SILENT', AWS_REGION: 'us-east-1' };

// The integration and e2e tiers share one DynamoDB Local per run of a tier, each file its own table.
const dynamodbLocal = {
  env,
  globalSetup: ['test/support/dynamodb-global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

/**
 * Four tiers, each with its own script: unit (mocked SDK or a fake store, no DynamoDB),
 * integration (the functions in-process against DynamoDB Local), e2e (whole processes: npm start,
 * the npm scripts, the packed guard, the README's commands; some against the shared DynamoDB
 * Local) and infra (CDK).
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...dynamodbLocal } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...dynamodbLocal } },
      { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], env, testTimeout: 120_000 } },
    ],
  },
});
