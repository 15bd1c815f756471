import { defineConfig } from 'vitest/config';

const env = { LOG_LEVEL: 'SILENT', AWS_REGION: 'us-east-1' };

/** Three tiers, each with its own script: unit (mocked SDK), integration (DynamoDB Local), infra (CDK). */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          env,
          globalSetup: ['test/support/dynamodb-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], env, testTimeout: 120_000 } },
    ],
  },
});
