/**
 * Another project's Lambda function, guarded by the packaged quota guard: what docs/gateway-integration.md
 * shows, installed from the tarball `npm pack` makes.
 */
import { createGuardDeps, quotaGuard } from '@credential-quota/guard';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

// Once per container: TABLE_NAME (set by grantQuotaGuard) and AWS_REGION from the environment.
const deps = createGuardDeps();

const guarded = (leaseUnits?: number) =>
  middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(
      quotaGuard({
        deps,
        projectId: process.env.QUOTA_PROJECT_ID ?? '',
        instanceId: process.env.QUOTA_INSTANCE_ID ?? '',
        appKeyFrom: (event: APIGatewayProxyEventV2) => event.headers['x-app-key'],
        leases: leaseUnits === undefined ? undefined : { units: leaseUnits },
      }),
    )
    .handler(async () => ({ statusCode: 200, body: 'hello' }));

/** Every call one exact consume. */
export const handler = guarded();

/** Leases of 5 units: about one DynamoDB write per 5 calls. */
export const leasedHandler = guarded(5);

// The package's types are real, not `any`: a cost that is not a function is a type error.
// @ts-expect-error costOf must be a function of the event
quotaGuard({ deps, projectId: 'p', instanceId: 'i', appKeyFrom: () => 'key', costOf: 5 });
