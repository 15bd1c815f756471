import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICE_NAME } from '#app/config.ts';
import { grantQuotaGuard, QUOTA_GUARD_TABLE_ACTIONS } from '#guard/cdk.ts';
import { type AppOptions, buildApp, readAppContext, stackNames } from '#infra/app.ts';
import { QuotaFunction } from '#infra/quota-function.ts';
import {
  ACCESS_LOG_FIELDS,
  ALARM_PERIOD,
  ALARM_THRESHOLDS,
  FUNCTION_SETTINGS,
  QUOTA_SWEEP_FUNCTION,
  USAGE_STREAM_FUNCTION,
} from '#infra/stateless-stack.ts';
import { FUNCTION_TABLE_ACTIONS } from '#infra/table-access.ts';
import {
  ALERT_WEBHOOK_TOKEN_HEADER,
  DEAD_LETTER_ALARM_THRESHOLD,
  STREAM_MAPPING,
  STREAM_READ_ACTIONS,
} from '#infra/usage-stream.ts';
import { METRICS_BATCH_CALLS, METRICS_NAMESPACE, ServiceMetrics } from '#observability/metrics.ts';
import { routeKey } from '#routing/route-table.ts';
import { FUNCTION_NAMES, type FunctionName } from '#routing/route-types.ts';
import { FALLBACK_FUNCTION, ROUTES, routesOf } from '#routing/routes.ts';
import { createTableInput, TABLE_DEFINITION } from '#store/table/table-definition.ts';
import { billedLogBytes, logBytesFigure } from '../support/cost-figures.ts';

// The same feature flags as `cdk synth`, so the tests check the templates the CLI produces.
const CDK_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;
// Bundling is proven once, on the dev stage; the other variants only need the templates.
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

type Json = Record<string, unknown>;
interface Resource {
  readonly Type: string;
  readonly Properties: Json;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}
interface Synthesized {
  readonly app: App;
  readonly stateful: Template;
  readonly stateless: Template;
  readonly statefulStack: Stack;
  readonly statelessStack: Stack;
}

// Each App synthesizes into its own temporary directory; remove them when done.
const apps: App[] = [];
afterAll(() => {
  for (const app of apps) rmSync(app.outdir, { recursive: true, force: true });
});

const newApp = (context: Json = {}): App => {
  const app = new App({ context: { ...CDK_CONTEXT, ...context } });
  apps.push(app);
  return app;
};

const synth = (stage: string, options: AppOptions = {}, context: Json = NO_BUNDLING): Synthesized => {
  const app = newApp(context);
  const { stateful, stateless } = buildApp(app, stage, options);
  return {
    app,
    stateful: Template.fromStack(stateful),
    stateless: Template.fromStack(stateless),
    statefulStack: stateful,
    statelessStack: stateless,
  };
};

const memo = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
};
const dev = memo(() => synth('dev', {}, {}));
const prod = memo(() => synth('prod'));
const JWKS_AUTH = {
  kind: 'jwks',
  jwksUrl: 'https://issuer.example/jwks.json',
  issuer: 'https://issuer.example/',
  audience: 'cq',
} as const;
const jwks = memo(() => synth('oidc', { auth: JWKS_AUTH }));
// The same stage with its bundles built, for what they carry.
const jwksBundled = memo(() => synth('oidc', { auth: JWKS_AUTH }, {}));

// The data plane with X-Ray and Lambda's platform lines back on.
const diagnosed = memo(() => synth('diag', { consumeDiagnostics: true }));

// The optional parts together: alarm e-mail, CORS, custom domain with a base path.
const everyOption = memo(() =>
  synth('full', {
    alarmEmail: 'oncall@example.com',
    corsOrigins: ['https://console.example.com'],
    customDomain: {
      domainName: 'quota.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0f3e2a1b-1234-4cde-8f00-abcdefabcdef',
      basePath: 'v1',
    },
    alertWebhookUrl: 'https://hooks.example.com/quota',
    alertThresholds: [50, 90, 100],
    historyRetentionDays: 30,
  }),
);

const resources = (template: Template, type: string): [string, Resource][] =>
  Object.entries(template.findResources(type) as Record<string, Resource>);
const allResources = (template: Template): [string, Resource][] =>
  Object.entries((template.toJSON() as { Resources: Record<string, Resource> }).Resources);
const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const key = (value: unknown): string => JSON.stringify(value);

/** The logical id a `{Ref}` or `{Fn::GetAtt}` points at. */
const target = (value: unknown): string | undefined => {
  const ref = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return ref.Ref ?? ref['Fn::GetAtt']?.[0];
};

interface DeployedFunction {
  readonly logicalId: string;
  readonly props: Json;
}

/** The deployed functions by route-table name, told apart by their descriptions. */
const functionsOf = (template: Template): Map<FunctionName, DeployedFunction> => {
  const found = new Map<FunctionName, DeployedFunction>();
  for (const [logicalId, resource] of resources(template, 'AWS::Lambda::Function')) {
    const name = /^credential-quota (\S+) \(/.exec(String(resource.Properties.Description))?.[1] as FunctionName;
    expect(FUNCTION_NAMES).toContain(name);
    expect(found.has(name), `two functions named ${name}`).toBe(false);
    found.set(name, { logicalId, props: resource.Properties });
  }
  return found;
};

const fn = (template: Template, name: FunctionName): DeployedFunction => {
  const found = functionsOf(template).get(name);
  if (!found) throw new Error(`no function ${name}`);
  return found;
};

const envOf = (deployed: DeployedFunction): Json =>
  ((deployed.props.Environment as { Variables?: Json } | undefined)?.Variables ?? {}) as Json;

interface Statement {
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
}

const statementsOf = (policy: Resource): Statement[] =>
  asArray((policy.Properties.PolicyDocument as { Statement: Statement | Statement[] }).Statement);

const allStatements = (template: Template): Statement[] => [
  ...resources(template, 'AWS::IAM::Policy').flatMap(([, policy]) => statementsOf(policy)),
  ...resources(template, 'AWS::IAM::Role').flatMap(([, role]) =>
    asArray(role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((inline) =>
      asArray(inline.PolicyDocument.Statement),
    ),
  ),
];

/** Every statement that applies to a function's execution role (attached and inline policies). */
const roleStatements = (template: Template, deployed: DeployedFunction): Statement[] => {
  const roleId = target(deployed.props.Role);
  const attached = resources(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => asArray(policy.Properties.Roles).some((role) => target(role) === roleId))
    .flatMap(([, policy]) => statementsOf(policy));
  const role = resources(template, 'AWS::IAM::Role').find(([id]) => id === roleId)?.[1];
  const inline = asArray(role?.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (policy) => asArray(policy.PolicyDocument.Statement),
  );
  return [...attached, ...inline];
};

/** action -> the set of resources (as JSON) it is allowed on, for actions of one service. */
const grants = (statements: Statement[], service: string): Map<string, Set<string>> => {
  const map = new Map<string, Set<string>>();
  for (const statement of statements) {
    expect(statement.Effect).toBe('Allow');
    for (const action of asArray(statement.Action).filter((a) => a.startsWith(`${service}:`))) {
      const set = map.get(action) ?? new Set<string>();
      for (const resource of asArray(statement.Resource)) set.add(key(resource));
      map.set(action, set);
    }
  }
  return map;
};

/** An export CDK made for the stateless stack's references (not one of the stable exports for other projects). */
const isCrossStackExport = (output: { Export?: { Name: string } }): boolean =>
  output.Export?.Name.includes(':ExportsOutput') ?? false;

/** How the stateless stack refers to the table's ARN: the stateful stack's export of `Fn::GetAtt Table.Arn`. */
const tableArnReference = (synthesized: Synthesized): Json => {
  const [tableId] = resources(synthesized.stateful, 'AWS::DynamoDB::GlobalTable').map(([id]) => id);
  const outputs = (
    synthesized.stateful.toJSON() as { Outputs: Record<string, { Value: unknown; Export: { Name: string } }> }
  ).Outputs;
  const output = Object.values(outputs).find(
    (candidate) => isCrossStackExport(candidate) && key(candidate.Value) === key({ 'Fn::GetAtt': [tableId, 'Arn'] }),
  );
  if (!output) throw new Error('the stateful stack does not export the table ARN');
  return { 'Fn::ImportValue': output.Export.Name };
};

/** How the stateless stack refers to the table's stream: the stateful stack's export of `Fn::GetAtt Table.StreamArn`. */
const tableStreamArnReference = (synthesized: Synthesized): Json => {
  const [tableId] = resources(synthesized.stateful, 'AWS::DynamoDB::GlobalTable').map(([id]) => id);
  const outputs = (
    synthesized.stateful.toJSON() as { Outputs: Record<string, { Value: unknown; Export: { Name: string } }> }
  ).Outputs;
  const output = Object.values(outputs).find(
    (candidate) =>
      isCrossStackExport(candidate) && key(candidate.Value) === key({ 'Fn::GetAtt': [tableId, 'StreamArn'] }),
  );
  if (!output) throw new Error('the stateful stack does not export the table stream ARN');
  return { 'Fn::ImportValue': output.Export.Name };
};

/** The logical id of the stream's dead-letter queue (the stack's one queue). */
const deadLetterQueueId = (template: Template): string => {
  const queues = resources(template, 'AWS::SQS::Queue');
  expect(queues).toHaveLength(1);
  return queues[0]?.[0] as string;
};

/** How the stateless stack refers to the table's name: the stateful stack's export of `Ref Table`. */
const tableNameReference = (synthesized: Synthesized): Json => {
  const [tableId] = resources(synthesized.stateful, 'AWS::DynamoDB::GlobalTable').map(([id]) => id);
  const outputs = (
    synthesized.stateful.toJSON() as { Outputs: Record<string, { Value: unknown; Export: { Name: string } }> }
  ).Outputs;
  const output = Object.values(outputs).find(
    (candidate) => isCrossStackExport(candidate) && key(candidate.Value) === key({ Ref: tableId }),
  );
  if (!output) throw new Error('the stateful stack does not export the table name');
  return { 'Fn::ImportValue': output.Export.Name };
};

/** A grants map as a plain object of sorted arrays, for readable comparisons. */
const grantsObject = (map: Map<string, Set<string>>): Record<string, string[]> =>
  Object.fromEntries([...map].map(([action, on]) => [action, [...on].sort()]));

// The only data-plane actions any function may have; the integration test proves each function's
// exact set by use.
const DATA_PLANE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
// What active tracing needs; X-Ray has no resource-level permissions for these.
const XRAY_ACTIONS = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

const FORBIDDEN_ACTION =
  /^(\*|dynamodb:\*|dynamodb:Scan|dynamodb:CreateTable|dynamodb:DeleteTable|dynamodb:BatchWriteItem)$/;

describe('stacks of a stage', () => {
  it('names the two stacks after the stage, the stateless one depending on the stateful one', () => {
    const { statefulStack, statelessStack } = dev();
    expect(statefulStack.stackName).toBe('CredentialQuota-dev-Stateful');
    expect(statelessStack.stackName).toBe('CredentialQuota-dev-Stateless');
    expect(stackNames('prod')).toEqual({
      stateful: 'CredentialQuota-prod-Stateful',
      stateless: 'CredentialQuota-prod-Stateless',
    });
    expect(statelessStack.dependencies).toContain(statefulStack);
  });

  it('rejects stage names that are not [a-z][a-z0-9-]{0,20}', () => {
    for (const stage of ['Prod', '1dev', 'dev_1', '', 'a'.repeat(22), 'dev stage']) {
      expect(() => buildApp(newApp(), stage), stage).toThrow(/invalid stage/);
    }
    expect(() => buildApp(newApp(NO_BUNDLING), `a${'b'.repeat(20)}`)).not.toThrow();
  });

  it('puts no helper functions or custom resources in either stack', () => {
    const { stateful, stateless } = dev();
    for (const template of [stateful, stateless]) {
      const types = allResources(template).map(([, resource]) => resource.Type);
      expect(
        types.filter((type) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource'),
      ).toEqual([]);
    }
    expect(resources(stateful, 'AWS::Lambda::Function')).toHaveLength(0);
    expect(resources(stateless, 'AWS::Lambda::Function')).toHaveLength(3);
  });
});

describe('context (bin/app.ts)', () => {
  const context = (values: Json, env: NodeJS.ProcessEnv = {}) => readAppContext(newApp(values), env);

  it('defaults to stage dev, a generated secret, no reserved concurrency and environment-agnostic stacks', () => {
    expect(context({})).toEqual({
      stage: 'dev',
      options: { auth: undefined, consumeConcurrency: undefined, env: undefined },
    });
  });

  it('takes account and region from CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION', () => {
    const { options } = context(
      { stage: 'test' },
      { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' },
    );
    expect(options.env).toEqual({ account: '123456789012', region: 'eu-west-1' });
  });

  it('rejects an invalid stage given with -c stage=', () => {
    expect(() => context({ stage: 'Prod!' })).toThrow(/invalid stage/);
  });

  it('switches to JWKS when jwksUrl is given, and then requires an https URL, issuer and audience', () => {
    const url = 'https://login.example/.well-known/jwks.json';
    expect(context({ jwksUrl: url, issuer: 'https://login.example/', audience: 'quota' }).options.auth).toEqual({
      kind: 'jwks',
      jwksUrl: url,
      issuer: 'https://login.example/',
      audience: 'quota',
    });
    expect(() => context({ jwksUrl: url, issuer: 'https://login.example/' })).toThrow(/issuer and audience/);
    expect(() => context({ jwksUrl: 'http://login.example/jwks', issuer: 'i', audience: 'a' })).toThrow(/https/);
    expect(() => context({ issuer: 'https://login.example/', audience: 'quota' })).toThrow(/need jwksUrl/);
  });

  it('reads consumeDiagnostics as true or false from the command line or cdk.json, off when absent', () => {
    expect(context({}).options.consumeDiagnostics).toBeUndefined();
    expect(context({ consumeDiagnostics: 'true' }).options.consumeDiagnostics).toBe(true);
    expect(context({ consumeDiagnostics: true }).options.consumeDiagnostics).toBe(true);
    expect(context({ consumeDiagnostics: 'false' }).options.consumeDiagnostics).toBe(false);
    for (const bad of ['yes', '1', 'TRUE']) {
      expect(() => context({ consumeDiagnostics: bad }), bad).toThrow(/consumeDiagnostics/);
    }
  });

  it('reads consumeConcurrency as a positive integer from the command line or cdk.json', () => {
    expect(context({ consumeConcurrency: '25' }).options.consumeConcurrency).toBe(25);
    expect(context({ consumeConcurrency: 5 }).options.consumeConcurrency).toBe(5);
    for (const bad of ['0', '-1', '2.5', 'lots']) {
      expect(() => context({ consumeConcurrency: bad }), bad).toThrow(/consumeConcurrency/);
    }
  });
});

describe('table', () => {
  const tableProps = (synthesized: Synthesized): Json => {
    const tables = resources(synthesized.stateful, 'AWS::DynamoDB::GlobalTable');
    expect(tables).toHaveLength(1);
    return tables[0]?.[1].Properties ?? {};
  };

  it('has the keys, both local indexes, on-demand billing and the TTL attribute of TABLE_DEFINITION', () => {
    const { partitionKey, sortKey, localIndexes } = TABLE_DEFINITION;
    const props = tableProps(dev());
    expect(props.KeySchema).toEqual([
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ]);
    const indexes = props.LocalSecondaryIndexes as { IndexName: string; KeySchema: unknown }[];
    expect(indexes.map((index) => [index.IndexName, index.KeySchema])).toEqual(
      localIndexes.map((index) => [
        index.indexName,
        [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
      ]),
    );
    // Only the records of client tokens expire (after 24 h); usage counters never do.
    expect(props.TimeToLiveSpecification).toEqual({
      AttributeName: TABLE_DEFINITION.timeToLiveAttribute,
      Enabled: true,
    });
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('is the table createTableInput builds on DynamoDB Local: same attributes, keys and index projections', () => {
    const local = createTableInput('credential-quota');
    const props = tableProps(dev());
    const byName = (definitions: unknown) =>
      [...(definitions as { AttributeName: string }[])].sort((a, b) => a.AttributeName.localeCompare(b.AttributeName));
    expect(byName(props.AttributeDefinitions)).toEqual(byName(local.AttributeDefinitions));
    expect(props.KeySchema).toEqual(local.KeySchema);
    expect(props.LocalSecondaryIndexes).toEqual(local.LocalSecondaryIndexes);
    expect(props.BillingMode).toBe(local.BillingMode);
    // The stream, new and old images: what the usage history and the threshold events read.
    expect(props.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(local.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('has point-in-time recovery on in every stage', () => {
    for (const { stateful } of [dev(), prod()]) {
      stateful.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        Replicas: [{ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
      });
    }
  });

  it('in dev, is deleted with its stack and not deletion-protected', () => {
    const { stateful, statefulStack } = dev();
    stateful.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: { Replicas: [{ DeletionProtectionEnabled: false }] },
    });
    expect(statefulStack.terminationProtection).toBe(false);
  });

  it('in prod, is retained, deletion-protected and its stack termination-protected', () => {
    const { stateful, statefulStack } = prod();
    stateful.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { Replicas: [{ DeletionProtectionEnabled: true }] },
    });
    expect(statefulStack.terminationProtection).toBe(true);
  });
});

describe('functions', () => {
  it('are exactly the three of FUNCTION_NAMES, on Node.js 24, arm64, with the ESM bundle handler', () => {
    const functions = functionsOf(dev().stateless);
    expect([...functions.keys()].sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const deployed of functions.values()) {
      expect(deployed.props.Runtime).toBe('nodejs24.x');
      expect(deployed.props.Architectures).toEqual(['arm64']);
      expect(deployed.props.Handler).toBe('index.handler');
    }
  });

  it('read the table name from the stateful stack, and run with source maps', () => {
    const synthesized = dev();
    const tableId = resources(synthesized.stateful, 'AWS::DynamoDB::GlobalTable')[0]?.[0];
    const outputs = (
      synthesized.stateful.toJSON() as { Outputs: Record<string, { Value: unknown; Export: { Name: string } }> }
    ).Outputs;
    const nameExport = Object.values(outputs).find(
      (output) => isCrossStackExport(output) && key(output.Value) === key({ Ref: tableId }),
    );
    for (const deployed of functionsOf(synthesized.stateless).values()) {
      const env = envOf(deployed);
      expect(env.TABLE_NAME).toEqual({ 'Fn::ImportValue': nameExport?.Export.Name });
      expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it('give quota-consumptions the default refusal re-check interval, and no other function one', () => {
    const { stateless } = dev();
    for (const [name, deployed] of functionsOf(stateless))
      expect(envOf(deployed).REFUSAL_RECHECK_MS, name).toBe(name === 'quota-consumptions' ? '1000' : undefined);
  });

  it('give quota-consumptions 512 MB and 3 s, the others 256 MB and 10 s, and reserve no concurrency by default', () => {
    const { stateless } = dev();
    expect(fn(stateless, 'quota-consumptions').props).toMatchObject({ MemorySize: 512, Timeout: 6 });
    for (const name of ['registry', 'app-quotas'] as const) {
      expect(fn(stateless, name).props).toMatchObject({ MemorySize: 256, Timeout: 10 });
    }
    for (const deployed of functionsOf(stateless).values()) {
      expect(deployed.props.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it('reserve consumeConcurrency for quota-consumptions only', () => {
    const { stateless } = synth('dev', { consumeConcurrency: 25 });
    expect(fn(stateless, 'quota-consumptions').props.ReservedConcurrentExecutions).toBe(25);
    expect(fn(stateless, 'registry').props.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn(stateless, 'app-quotas').props.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('each log to their own log group kept for 30 days (no log-retention helper)', () => {
    const { stateless } = dev();
    const logGroups = new Map(resources(stateless, 'AWS::Logs::LogGroup'));
    const used = new Set<string>();
    for (const deployed of functionsOf(stateless).values()) {
      const logGroupId = target((deployed.props.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup) ?? '';
      expect(logGroups.get(logGroupId)?.Properties.RetentionInDays, deployed.logicalId).toBe(30);
      used.add(logGroupId);
    }
    expect(used.size).toBe(3);
  });

  it('keep their log groups in prod and delete them in dev', () => {
    for (const [synthesized, policy] of [
      [dev(), 'Delete'],
      [prod(), 'Retain'],
    ] as const) {
      const logGroups = resources(synthesized.stateless, 'AWS::Logs::LogGroup');
      expect(logGroups.length).toBeGreaterThan(0);
      for (const [, logGroup] of logGroups) expect(logGroup.DeletionPolicy).toBe(policy);
    }
  });

  it('are bundled into minified ESM that loads in Node.js and answers with the service error envelope', () => {
    const { app, stateless } = dev();
    for (const [name, deployed] of functionsOf(stateless)) {
      const s3Key = String((deployed.props.Code as { S3Key: string }).S3Key);
      const assetDir = join(app.outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
      const bundle = join(assetDir, 'index.mjs');
      expect(existsSync(bundle), `${name} bundle`).toBe(true);
      expect(existsSync(`${bundle}.map`), `${name} source map`).toBe(true);
      const code = readFileSync(bundle, 'utf8');
      expect(
        code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);"),
      ).toBe(true);
      // No import of the repository's sources or of the SDK is left for the runtime to resolve.
      expect(code).not.toMatch(/from\s*["'](#lib|@aws-sdk)\//);
      const script = `
        const { handler } = await import(${JSON.stringify(bundle)});
        const event = { version: '2.0', routeKey: '$default', rawPath: '/no-such-path', rawQueryString: '', headers: {},
          isBase64Encoded: false, requestContext: { http: { method: 'GET', path: '/no-such-path', protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1', userAgent: 'test' }, requestId: 'r', routeKey: '$default', stage: '$default',
          accountId: '123456789012', apiId: 'api', domainName: 'example', domainPrefix: 'example', time: '', timeEpoch: 0 } };
        const context = { functionName: 'f', awsRequestId: 'r', invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
          memoryLimitInMB: '256', functionVersion: '$LATEST', getRemainingTimeInMillis: () => 3000 };
        process.stdout.write(JSON.stringify(await handler(event, context)) + '\\n');
        // As Lambda does before it shuts a container down (an extension is registered).
        process.kill(process.pid, 'SIGTERM');
        await new Promise((resolve) => setTimeout(resolve, 5000));
        process.stdout.write('not shut down');`;
      const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          ...process.env,
          LOG_LEVEL: 'SILENT',
          AWS_REGION: 'us-east-1',
          NODE_OPTIONS: '',
          // As in Lambda, where the functions write their metrics.
          AWS_LAMBDA_FUNCTION_NAME: `credential-quota-${name}`,
        },
        encoding: 'utf8',
      });
      const lines = output.split('\n').filter((line) => line.length > 0);
      const result = JSON.parse(lines[0] ?? '') as { statusCode: number; body: string };
      expect(result.statusCode, name).toBe(404);
      expect(JSON.parse(result.body)).toMatchObject({ error_code: expect.any(String), error_msg: expect.any(String) });
      // The bundle carries the metrics: the 404 is counted and held, then written as EMF on stdout,
      // by function, when SIGTERM says the container goes; and the process exits there.
      const emf = lines.slice(1).map((line) => JSON.parse(line) as Json);
      expect(emf, name).toEqual([
        expect.objectContaining({ ClientErrors: 1, function: name, service: 'credential-quota' }),
      ]);
      expect(emf[0]?._aws, name).toMatchObject({
        CloudWatchMetrics: [
          { Namespace: 'CredentialQuota', Dimensions: [['service', 'function']], Metrics: [{ Name: 'ClientErrors' }] },
        ],
      });
    }
  });
});

describe('function roles and tracing', () => {
  it('each function has a role of its own, for Lambda only, with no managed policy', () => {
    for (const synthesized of [dev(), jwks()]) {
      const roles = new Map(resources(synthesized.stateless, 'AWS::IAM::Role'));
      const used = new Set<string>();
      for (const [name, deployed] of functionsOf(synthesized.stateless)) {
        const roleId = target(deployed.props.Role) ?? '';
        const role = roles.get(roleId);
        expect(role?.Properties.ManagedPolicyArns, name).toBeUndefined();
        expect(role?.Properties.Policies, name).toBeUndefined();
        expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
          Version: '2012-10-17',
          Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        });
        used.add(roleId);
      }
      expect(used.size).toBe(FUNCTION_NAMES.length);
    }
  });

  it('each function may write log streams of its own log group only, and nothing of any other service but DynamoDB, Secrets Manager and X-Ray (the data plane: not X-Ray)', () => {
    const { stateless } = dev();
    for (const [name, deployed] of functionsOf(stateless)) {
      const statements = roleStatements(stateless, deployed);
      const logGroup = {
        'Fn::GetAtt': [target((deployed.props.LoggingConfig as { LogGroup: unknown }).LogGroup), 'Arn'],
      };
      expect(grantsObject(grants(statements, 'logs')), name).toEqual({
        'logs:CreateLogStream': [key(logGroup)],
        'logs:PutLogEvents': [key(logGroup)],
      });
      const services = new Set(
        statements.flatMap((statement) => asArray(statement.Action)).map((a) => a.split(':')[0]),
      );
      // app-quotas also sends threshold events (EventBridge) and gives up on stream records (SQS).
      const expected = {
        'quota-consumptions': ['dynamodb', 'logs', 'secretsmanager'],
        registry: ['dynamodb', 'logs', 'secretsmanager', 'xray'],
        'app-quotas': ['dynamodb', 'events', 'logs', 'secretsmanager', 'sqs', 'xray'],
      }[name];
      expect([...services].sort(), name).toEqual(expected);
    }
  });

  it('trace actively, with exactly the two X-Ray actions, the only actions any function may do on "*"; the data plane only with consumeDiagnostics', () => {
    for (const synthesized of [dev(), prod(), jwks(), diagnosed()]) {
      for (const [name, deployed] of functionsOf(synthesized.stateless)) {
        const statements = roleStatements(synthesized.stateless, deployed);
        const onEverything = statements
          .filter((statement) => asArray(statement.Resource).includes('*'))
          .flatMap((statement) => asArray(statement.Action));
        if (name === 'quota-consumptions' && synthesized !== diagnosed()) {
          expect(deployed.props.TracingConfig, name).toBeUndefined();
          expect(grants(statements, 'xray').size, name).toBe(0);
          expect(onEverything, name).toEqual([]);
          continue;
        }
        expect(deployed.props.TracingConfig, name).toEqual({ Mode: 'Active' });
        expect(grantsObject(grants(statements, 'xray')), name).toEqual(
          Object.fromEntries(XRAY_ACTIONS.map((action) => [action, [key('*')]])),
        );
        expect(onEverything.sort(), name).toEqual(XRAY_ACTIONS);
      }
    }
  });
});

describe('what the cost table relies on (docs/design.md, "Cost per million checks")', () => {
  it("quota-consumptions: 512 MB, no X-Ray and none of Lambda's per-invocation lines by default; both with consumeDiagnostics", () => {
    expect(fn(dev().stateless, 'quota-consumptions').props.MemorySize).toBe(512);
    expect(FUNCTION_SETTINGS['quota-consumptions'].memorySize).toBe(512);
    for (const [synthesized, tracing, systemLevel] of [
      [dev(), undefined, 'WARN'],
      [prod(), undefined, 'WARN'],
      [diagnosed(), { Mode: 'Active' }, 'INFO'],
    ] as const) {
      const { props } = fn(synthesized.stateless, 'quota-consumptions');
      expect(props.TracingConfig).toEqual(tracing);
      // JSON is what lets Lambda filter its own lines by level; the application level stays the default.
      expect(props.LoggingConfig).toMatchObject({ LogFormat: 'JSON', SystemLogLevel: systemLevel });
      expect((props.LoggingConfig as Json).ApplicationLogLevel).toBeUndefined();
    }
    for (const name of ['registry', 'app-quotas'] as const) {
      expect(fn(dev().stateless, name).props.LoggingConfig, name).toMatchObject({
        LogFormat: 'JSON',
        SystemLogLevel: 'INFO',
      });
    }
  });

  it('function logs are Standard (CloudWatch reads the EMF metrics there, Contributor Insights the tally lines), access logs Infrequent Access, both kept 30 days', () => {
    const { stateless } = dev();
    const logGroups = new Map(resources(stateless, 'AWS::Logs::LogGroup'));
    for (const [name, deployed] of functionsOf(stateless)) {
      const group = logGroups.get(target((deployed.props.LoggingConfig as Json).LogGroup) ?? '');
      expect(group?.Properties.LogGroupClass ?? 'STANDARD', name).toBe('STANDARD');
      expect(group?.Properties.RetentionInDays, name).toBe(30);
    }
    const stage = resources(stateless, 'AWS::ApiGatewayV2::Stage')[0]?.[1].Properties ?? {};
    const accessLogs = logGroups.get(target((stage.AccessLogSettings as Json).DestinationArn) ?? '');
    expect(accessLogs?.Properties).toMatchObject({ LogGroupClass: 'INFREQUENT_ACCESS', RetentionInDays: 30 });
  });

  it('the access log line of a consume is at most the bytes the table counts', () => {
    const stage = resources(dev().stateless, 'AWS::ApiGatewayV2::Stage')[0]?.[1].Properties ?? {};
    const format = (stage.AccessLogSettings as { Format: string }).Format;
    expect(JSON.parse(format)).toEqual(ACCESS_LOG_FIELDS);
    // The longest values of a consume: a 32-character project id and instance id, API Gateway's
    // 16-character request id, an IPv4 client, a latency under 10 s, no integration error.
    const values: Record<string, string> = {
      '$context.requestId': 'JDFrYgB9oAMEMPw=',
      '$context.identity.sourceIp': '255.255.255.255',
      '$context.requestTimeEpoch': String(Date.UTC(2026, 11, 2)),
      '$context.httpMethod': 'POST',
      '$context.path': `/v2/${'a'.repeat(32)}/apigw/instances/${'b'.repeat(32)}/quota-consumptions`,
      '$context.status': '429',
      '$context.responseLatency': '9999',
      '$context.integrationErrorMessage': '-',
    };
    let line = format;
    for (const [variable, value] of Object.entries(values)) line = line.replaceAll(`"${variable}"`, `"${value}"`);
    expect(line).not.toContain('$context');
    const figure = logBytesFigure('API Gateway access log');
    expect(billedLogBytes([line])).toBeLessThanOrEqual(Math.min(figure.admitted, figure.refused));
    expect(Math.max(figure.admitted, figure.refused) - billedLogBytes([line])).toBeLessThan(10);
  });
});

describe('least privilege', () => {
  it('FUNCTION_TABLE_ACTIONS holds only data-plane actions and indexes of TABLE_DEFINITION, each once', () => {
    const indexNames: readonly string[] = TABLE_DEFINITION.localIndexes.map((index) => index.indexName);
    expect(Object.keys(FUNCTION_TABLE_ACTIONS).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const name of FUNCTION_NAMES) {
      const { onTable, queryIndexes } = FUNCTION_TABLE_ACTIONS[name];
      expect(new Set(onTable).size, name).toBe(onTable.length);
      expect(new Set(queryIndexes).size, name).toBe(queryIndexes.length);
      for (const action of onTable) expect(DATA_PLANE_ACTIONS, name).toContain(action);
      for (const index of queryIndexes) expect(indexNames, name).toContain(index);
    }
  });

  it('no statement in any stack allows *, dynamodb:*, Scan, BatchWriteItem, CreateTable or DeleteTable, or uses NotAction/NotResource', () => {
    for (const synthesized of [dev(), prod(), jwks()]) {
      for (const template of [synthesized.stateful, synthesized.stateless]) {
        for (const statement of allStatements(template)) {
          expect(statement.NotAction).toBeUndefined();
          expect(statement.NotResource).toBeUndefined();
          for (const action of asArray(statement.Action)) expect(action).not.toMatch(FORBIDDEN_ACTION);
          if (asArray(statement.Action).some((action) => action.startsWith('dynamodb:'))) {
            expect(asArray(statement.Resource)).not.toContain('*');
          }
        }
      }
    }
  });

  it("each function's role allows exactly its FUNCTION_TABLE_ACTIONS: those actions on the table, Query on its indexes only", () => {
    for (const synthesized of [dev(), prod(), jwks()]) {
      const tableArn = tableArnReference(synthesized);
      for (const name of FUNCTION_NAMES) {
        const allowed = grants(roleStatements(synthesized.stateless, fn(synthesized.stateless, name)), 'dynamodb');
        const { onTable, queryIndexes } = FUNCTION_TABLE_ACTIONS[name];
        const expected = new Map<string, Set<string>>();
        const allow = (action: string, resource: unknown) =>
          expected.set(action, (expected.get(action) ?? new Set<string>()).add(key(resource)));
        for (const action of onTable) allow(action, tableArn);
        for (const index of queryIndexes) allow('dynamodb:Query', { 'Fn::Join': ['', [tableArn, `/index/${index}`]] });
        if (name === USAGE_STREAM_FUNCTION)
          for (const action of STREAM_READ_ACTIONS) allow(action, tableStreamArnReference(synthesized));
        expect(grantsObject(allowed), name).toEqual(grantsObject(expected));
      }
    }
  });

  it('bindTable grants exactly the access it is given, no Query for no index, and binds once', () => {
    const app = newApp(NO_BUNDLING);
    const stack = new Stack(app, 'Bound');
    const table = new TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    const newFunction = (id: string) =>
      new QuotaFunction(stack, id, {
        name: 'registry',
        stage: 'test',
        auth: { kind: 'jwks', jwksUrl: 'https://issuer.example/jwks', issuer: 'i', audience: 'a' },
        accessKeySealing: new Secret(stack, `${id}Sealing`),
        memorySize: 128,
        timeout: Duration.seconds(1),
      });
    const reader = newFunction('Reader');
    reader.bindTable(table, { onTable: ['dynamodb:GetItem'], queryIndexes: ['lsi2'] });
    const writer = newFunction('Writer');
    writer.bindTable(table, { onTable: ['dynamodb:UpdateItem'], queryIndexes: [] });
    const template = Template.fromStack(stack);
    const tableArn = { 'Fn::GetAtt': [resources(template, 'AWS::DynamoDB::GlobalTable')[0]?.[0], 'Arn'] };
    const granted = (id: string) => {
      const deployed = resources(template, 'AWS::Lambda::Function').find(([logicalId]) => logicalId.startsWith(id));
      if (!deployed) throw new Error(`no function ${id}`);
      return grantsObject(
        grants(roleStatements(template, { logicalId: deployed[0], props: deployed[1].Properties }), 'dynamodb'),
      );
    };
    expect(granted('Reader')).toEqual({
      'dynamodb:GetItem': [key(tableArn)],
      'dynamodb:Query': [key({ 'Fn::Join': ['', [tableArn, '/index/lsi2']] })],
    });
    expect(granted('Writer')).toEqual({ 'dynamodb:UpdateItem': [key(tableArn)] });
    expect(() => reader.bindTable(table, { onTable: [], queryIndexes: [] })).toThrow(/already bound/);
  });

  it('a function never bound to the table fails synthesis', () => {
    const app = newApp(NO_BUNDLING);
    const stack = new Stack(app, 'Unbound');
    new QuotaFunction(stack, 'Orphan', {
      name: 'registry',
      stage: 'test',
      auth: { kind: 'jwks', jwksUrl: 'https://issuer.example/jwks', issuer: 'i', audience: 'a' },
      accessKeySealing: new Secret(stack, 'OrphanSealing'),
      memorySize: 128,
      timeout: Duration.seconds(1),
    });
    expect(() => app.synth()).toThrow(/bindTable\(\) was never called/);
  });
});

describe('token verification wiring', () => {
  /** The sealing secret's ARN as every function of the stateless stack receives it (one value, imported). */
  const sealingArnOf = (stateless: Template): unknown => {
    const values = new Set(
      [...functionsOf(stateless)].map(([, deployed]) => key(envOf(deployed).ACCESS_KEY_SECRET_ARN)),
    );
    expect(values.size).toBe(1);
    const [value] = [...values];
    expect(value).toMatch(/^\{"Fn::ImportValue":/);
    return JSON.parse(value as string);
  };

  it('by default, generates an HS256 secret, passes its ARN and allows only GetSecretValue on it and on the sealing key', () => {
    const { stateless } = dev();
    const secrets = resources(stateless, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    const [secretId, secret] = secrets[0] ?? [];
    expect(secret?.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true });
    const sealing = sealingArnOf(stateless);
    for (const [name, deployed] of functionsOf(stateless)) {
      expect(envOf(deployed).AUTH_SECRET_ARN, name).toEqual({ Ref: secretId });
      expect(envOf(deployed).AUTH_JWKS_URL, name).toBeUndefined();
      const allowed = grants(roleStatements(stateless, deployed), 'secretsmanager');
      expect(Object.fromEntries([...allowed].map(([action, on]) => [action, [...on].sort()]))).toEqual({
        'secretsmanager:GetSecretValue': [key({ Ref: secretId }), key(sealing)].sort(),
      });
    }
    stateless.hasOutput('AuthSecretArn', { Value: { Ref: secretId } });
    expect(Object.keys(stateless.findOutputs('TokenIssuer'))).toHaveLength(0);
  });

  it("bundles only the stage's token verifier: the JWKS client is in a JWKS stage's functions and no other's", () => {
    // A message of jose's remote key set client, which only JWKS verification loads.
    const jwksClient = 'Expected 200 OK from the JSON Web Key Set HTTP response';
    for (const [synthesized, expected] of [
      [dev(), false],
      [jwksBundled(), true],
    ] as const) {
      for (const [name, deployed] of functionsOf(synthesized.stateless)) {
        const s3Key = String((deployed.props.Code as { S3Key: string }).S3Key);
        const code = readFileSync(
          join(synthesized.app.outdir, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs'),
          'utf8',
        );
        expect(code.includes(jwksClient), name).toBe(expected);
      }
    }
  });

  it("reads the secrets through AWS's Parameters and Secrets extension: its arm64 layer on every function, no client in the bundle", () => {
    for (const synthesized of [dev(), jwks()]) {
      const template = synthesized.stateless.toJSON() as { Mappings?: Record<string, Record<string, Json>> };
      for (const [name, deployed] of functionsOf(synthesized.stateless)) {
        const layers = asArray(deployed.props.Layers as unknown[] | undefined);
        expect(layers, name).toHaveLength(1);
        // Environment-agnostic stacks pick the region's layer from a mapping: every ARN it holds.
        const lookup = (layers[0] as { 'Fn::FindInMap'?: [string, unknown, string] })['Fn::FindInMap'];
        const arns = lookup
          ? Object.values(template.Mappings?.[lookup[0]] ?? {}).map((row) => row[lookup[2]])
          : [layers[0]];
        expect(arns.length, name).toBeGreaterThan(0);
        for (const arn of arns)
          expect(arn, name).toMatch(
            /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/,
          );
        expect(envOf(deployed).PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL, name).toBe('warn');
      }
    }
  });

  it('with jwksUrl, creates no signing secret, grants only GetSecretValue on the sealing key and passes the JWKS settings', () => {
    const { stateless } = jwks();
    expect(resources(stateless, 'AWS::SecretsManager::Secret')).toHaveLength(0);
    const sealing = sealingArnOf(stateless);
    for (const [name, deployed] of functionsOf(stateless)) {
      expect(envOf(deployed), name).toMatchObject({
        AUTH_JWKS_URL: 'https://issuer.example/jwks.json',
        AUTH_ISSUER: 'https://issuer.example/',
        AUTH_AUDIENCE: 'cq',
      });
      expect(envOf(deployed).AUTH_SECRET_ARN, name).toBeUndefined();
      const allowed = grants(roleStatements(stateless, deployed), 'secretsmanager');
      expect(Object.fromEntries([...allowed].map(([action, on]) => [action, [...on]]))).toEqual({
        'secretsmanager:GetSecretValue': [key(sealing)],
      });
    }
    expect(Object.keys(stateless.findOutputs('AuthSecretArn'))).toHaveLength(0);
    // What `npm run token -- --stage` reads to say where tokens come from.
    stateless.hasOutput('TokenIssuer', { Value: 'https://issuer.example/' });
    stateless.hasOutput('TokenAudience', { Value: 'cq' });
    stateless.hasOutput('JwksUrl', { Value: 'https://issuer.example/jwks.json' });
  });

  it('keeps the access-key sealing secret with the table: generated in the stateful stack, retained in prod, output for npm run access-key', () => {
    for (const [stage, synthesized] of [
      ['dev', dev()],
      ['prod', prod()],
    ] as const) {
      const secrets = resources(synthesized.stateful, 'AWS::SecretsManager::Secret');
      expect(secrets, stage).toHaveLength(1);
      const [, sealing] = secrets[0] ?? [];
      expect(sealing?.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true });
      expect(sealing?.DeletionPolicy, stage).toBe(stage === 'prod' ? 'Retain' : 'Delete');
      expect(synthesized.stateless.findOutputs('AccessKeySecretArn').AccessKeySecretArn?.Value, stage).toEqual(
        sealingArnOf(synthesized.stateless),
      );
      expect(Object.keys(synthesized.stateless.findOutputs('TableName')), stage).toHaveLength(1);
    }
  });
});

describe('HTTP API', () => {
  const routeResources = (template: Template) => resources(template, 'AWS::ApiGatewayV2::Route');

  it('has one route per route-table row, keyed exactly as the table says, plus $default', () => {
    const keys = routeResources(dev().stateless).map(([, route]) => String(route.Properties.RouteKey));
    expect(keys.sort()).toEqual([...ROUTES.map(routeKey), '$default'].sort());
  });

  it('routes GET /openapi.json and GET /health with no authorizer, every other route through the function check', () => {
    const byKey = new Map(
      routeResources(dev().stateless).map(([, route]) => [String(route.Properties.RouteKey), route]),
    );
    for (const publicKey of ['GET /openapi.json', 'GET /health']) {
      expect(byKey.get(publicKey)?.Properties.AuthorizationType ?? 'NONE', publicKey).toBe('NONE');
    }
    expect(
      ROUTES.filter((route) => route.action === null)
        .map(routeKey)
        .sort(),
    ).toEqual(['GET /health', 'GET /openapi.json'].sort());
  });

  it("sends every route to its row's function and $default to the fallback function, with payload 2.0", () => {
    const { stateless } = dev();
    const integrations = new Map(resources(stateless, 'AWS::ApiGatewayV2::Integration'));
    const nameById = new Map([...functionsOf(stateless)].map(([name, deployed]) => [deployed.logicalId, name]));
    const functionOfRoute = new Map<string, FunctionName | undefined>();
    for (const [, route] of routeResources(stateless)) {
      const targetJoin = route.Properties.Target as { 'Fn::Join': [string, [string, unknown]] };
      expect(targetJoin['Fn::Join'][1][0]).toBe('integrations/');
      const integration = integrations.get(target(targetJoin['Fn::Join'][1][1]) ?? '');
      expect(integration?.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      functionOfRoute.set(
        String(route.Properties.RouteKey),
        nameById.get(target(integration?.Properties.IntegrationUri) ?? ''),
      );
    }
    for (const route of ROUTES) expect(functionOfRoute.get(routeKey(route)), routeKey(route)).toBe(route.fn);
    expect(functionOfRoute.get('$default')).toBe(FALLBACK_FUNCTION);
  });

  it('lets API Gateway invoke each function once per route it serves (and the fallback for $default)', () => {
    const { stateless } = dev();
    const permissions = resources(stateless, 'AWS::Lambda::Permission');
    for (const [name, deployed] of functionsOf(stateless)) {
      const mine = permissions.filter(
        ([, permission]) =>
          target(permission.Properties.FunctionName) === deployed.logicalId &&
          permission.Properties.Principal === 'apigateway.amazonaws.com',
      );
      for (const [, permission] of mine) {
        expect(permission.Properties).toMatchObject({
          Action: 'lambda:InvokeFunction',
          Principal: 'apigateway.amazonaws.com',
        });
      }
      expect(mine, name).toHaveLength(routesOf(name).length + (name === FALLBACK_FUNCTION ? 1 : 0));
    }
  });

  it('serves from the auto-deployed $default stage, throttled, with JSON access logs kept 30 days', () => {
    const { stateless } = dev();
    const stages = resources(stateless, 'AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    const props = stages[0]?.[1].Properties ?? {};
    expect(props).toMatchObject({ StageName: '$default', AutoDeploy: true });
    const throttle = props.DefaultRouteSettings as { ThrottlingBurstLimit: number; ThrottlingRateLimit: number };
    expect(throttle.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(throttle.ThrottlingBurstLimit).toBeGreaterThanOrEqual(throttle.ThrottlingRateLimit);
    const accessLog = props.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(JSON.parse(accessLog.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    const logGroup = new Map(resources(stateless, 'AWS::Logs::LogGroup')).get(target(accessLog.DestinationArn) ?? '');
    expect(logGroup?.Properties.RetentionInDays).toBe(30);
  });

  it('outputs the URL of the API as its endpoint, with no trailing slash, so $ApiUrl/v2/... is one slash', () => {
    const { stateless } = dev();
    const [api] = resources(stateless, 'AWS::ApiGatewayV2::Api').map(([id]) => id);
    const output = stateless.findOutputs('ApiUrl').ApiUrl as { Value: unknown } | undefined;
    // ApiEndpoint is `https://{api-id}.execute-api.{region}.amazonaws.com`, no path; the stage URL ends in `/`.
    expect(output?.Value).toEqual({ 'Fn::GetAtt': [api, 'ApiEndpoint'] });
  });
});

describe('the sweep of quota deletes', () => {
  it('is one EventBridge schedule, every minute, sending the app-quotas function its event, not retried', () => {
    for (const synthesized of [dev(), prod(), jwks()]) {
      const { stateless } = synthesized;
      expect(QUOTA_SWEEP_FUNCTION).toBe('app-quotas');
      // The other rule routes threshold events (see 'usage stream').
      const rules = resources(stateless, 'AWS::Events::Rule').filter(
        ([, rule]) => rule.Properties.ScheduleExpression !== undefined,
      );
      expect(rules).toHaveLength(1);
      const [, rule] = rules[0] as [string, Resource];
      expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
      const targets = rule.Properties.Targets as Json[];
      expect(targets).toHaveLength(1);
      expect(target(targets[0]?.Arn)).toBe(fn(stateless, 'app-quotas').logicalId);
      expect(targets[0]?.RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
      // No function was added for it: still exactly the three of SPEC §8.
      expect(resources(stateless, 'AWS::Lambda::Function')).toHaveLength(FUNCTION_NAMES.length);
    }
  });

  it('may invoke app-quotas only, from its own rule: the one permission not for API Gateway', () => {
    const { stateless } = dev();
    const [ruleId] = resources(stateless, 'AWS::Events::Rule')[0] as [string, Resource];
    const others = resources(stateless, 'AWS::Lambda::Permission').filter(
      ([, permission]) => permission.Properties.Principal !== 'apigateway.amazonaws.com',
    );
    expect(others).toHaveLength(1);
    const [, permission] = others[0] as [string, Resource];
    expect(permission.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
    expect(target(permission.Properties.FunctionName)).toBe(fn(stateless, 'app-quotas').logicalId);
    expect(target(permission.Properties.SourceArn)).toBe(ruleId);
  });

  it("grants Query on the table itself to app-quotas (the markers' partition) and registry (an app's usage history), never to the data plane", () => {
    expect(FUNCTION_TABLE_ACTIONS['app-quotas'].onTable).toContain('dynamodb:Query');
    expect(FUNCTION_TABLE_ACTIONS.registry.onTable).toContain('dynamodb:Query');
    expect(FUNCTION_TABLE_ACTIONS['quota-consumptions'].onTable).not.toContain('dynamodb:Query');
  });
});

describe('usage stream (history and threshold events)', () => {
  const mappingOf = (template: Template): Json => {
    const mappings = resources(template, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    return mappings[0]?.[1].Properties ?? {};
  };
  const busOf = (template: Template): [string, Resource] => {
    const buses = resources(template, 'AWS::Events::EventBus');
    expect(buses).toHaveLength(1);
    return buses[0] as [string, Resource];
  };
  const alertRuleOf = (template: Template): Resource => {
    const [busId] = busOf(template);
    const rules = resources(template, 'AWS::Events::Rule').filter(
      ([, rule]) => rule.Properties.EventBusName !== undefined && target(rule.Properties.EventBusName) === busId,
    );
    expect(rules).toHaveLength(1);
    return rules[0]?.[1] as Resource;
  };

  it('maps the table stream into app-quotas, counter records only, bisecting failed batches, reporting partial failures', () => {
    for (const synthesized of [dev(), prod()]) {
      const { stateless } = synthesized;
      const props = mappingOf(stateless);
      expect(USAGE_STREAM_FUNCTION).toBe('app-quotas');
      expect(target(props.FunctionName)).toBe(fn(stateless, 'app-quotas').logicalId);
      expect(props.EventSourceArn).toEqual(tableStreamArnReference(synthesized));
      expect(props).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: STREAM_MAPPING.batchSize,
        MaximumBatchingWindowInSeconds: STREAM_MAPPING.maxBatchingWindow.toSeconds(),
        MaximumRetryAttempts: STREAM_MAPPING.retryAttempts,
        MaximumRecordAgeInSeconds: STREAM_MAPPING.maxRecordAge.toSeconds(),
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(props.FilterCriteria).toEqual({
        Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { sk: { S: ['COUNTER'] } } } }) }],
      });
      // Still exactly the three functions of SPEC §8.
      expect(resources(stateless, 'AWS::Lambda::Function')).toHaveLength(FUNCTION_NAMES.length);
    }
  });

  it('sends the records it gives up on to an encrypted, TLS-only dead-letter queue that an alarm watches', () => {
    const { stateless } = dev();
    const queueId = deadLetterQueueId(stateless);
    const queue = new Map(resources(stateless, 'AWS::SQS::Queue')).get(queueId);
    expect(queue?.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const queuePolicies = resources(stateless, 'AWS::SQS::QueuePolicy').flatMap(([, policy]) => statementsOf(policy));
    expect(queuePolicies).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(mappingOf(stateless).DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    });
    const [topicId] = resources(stateless, 'AWS::SNS::Topic').map(([id]) => id);
    const alarm = resources(stateless, 'AWS::CloudWatch::Alarm').find(
      ([, candidate]) => candidate.Properties.Namespace === 'AWS/SQS',
    )?.[1];
    expect(alarm?.Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('gives app-quotas the stream actions on the stream, PutEvents on its bus and the queue, and no other function any of them', () => {
    const synthesized = dev();
    const { stateless } = synthesized;
    const [busId] = busOf(stateless);
    const queueId = deadLetterQueueId(stateless);
    for (const name of FUNCTION_NAMES) {
      const statements = roleStatements(stateless, fn(stateless, name));
      const stream = grantsObject(grants(statements, 'dynamodb'));
      const events = grantsObject(grants(statements, 'events'));
      const sqs = grantsObject(grants(statements, 'sqs'));
      if (name !== USAGE_STREAM_FUNCTION) {
        for (const action of STREAM_READ_ACTIONS) expect(stream[action], name).toBeUndefined();
        expect(events, name).toEqual({});
        expect(sqs, name).toEqual({});
        continue;
      }
      for (const action of STREAM_READ_ACTIONS)
        expect(stream[action], action).toEqual([key(tableStreamArnReference(synthesized))]);
      expect(events).toEqual({ 'events:PutEvents': [key({ 'Fn::GetAtt': [busId, 'Arn'] })] });
      expect(Object.keys(sqs).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
      for (const on of Object.values(sqs)) expect(on).toEqual([key({ 'Fn::GetAtt': [queueId, 'Arn'] })]);
      expect(envOf(fn(stateless, name)).ALERT_BUS_NAME).toEqual({ Ref: busId });
    }
  });

  it('routes the threshold events of its own bus to the alarm topic, which EventBridge may use the key of', () => {
    const { stateless } = dev();
    const rule = alertRuleOf(stateless);
    expect(rule.Properties.EventPattern).toEqual({
      source: ['credential-quota'],
      'detail-type': ['Credential quota threshold reached'],
    });
    const [topicId] = resources(stateless, 'AWS::SNS::Topic').map(([id]) => id);
    expect((rule.Properties.Targets as Json[]).map((t) => t.Arn)).toEqual([{ Ref: topicId }]);
    const topicStatements = resources(stateless, 'AWS::SNS::TopicPolicy').flatMap(([, policy]) => statementsOf(policy));
    expect(topicStatements).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' }),
    );
    const keyStatements = resources(stateless, 'AWS::KMS::Key').flatMap(([, k]) =>
      asArray((k.Properties.KeyPolicy as { Statement: Statement[] }).Statement),
    );
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: expect.objectContaining({ ArnLike: expect.anything() }),
      }),
    );
    stateless.hasOutput('AlertBusName', { Value: { Ref: busOf(stateless)[0] } });
  });

  it('adds the webhook (connection, API destination, rule target) only with -c alertWebhookUrl', () => {
    for (const synthesized of [dev(), prod(), jwks()]) {
      expect(resources(synthesized.stateless, 'AWS::Events::Connection')).toHaveLength(0);
      expect(resources(synthesized.stateless, 'AWS::Events::ApiDestination')).toHaveLength(0);
      expect(alertRuleOf(synthesized.stateless).Properties.Targets as Json[]).toHaveLength(1);
    }
    const { stateless } = everyOption();
    const destinations = resources(stateless, 'AWS::Events::ApiDestination');
    expect(destinations).toHaveLength(1);
    const [destinationId, destination] = destinations[0] as [string, Resource];
    expect(destination.Properties).toMatchObject({
      InvocationEndpoint: 'https://hooks.example.com/quota',
      HttpMethod: 'POST',
    });
    const connection = resources(stateless, 'AWS::Events::Connection')[0]?.[1];
    expect(connection?.Properties).toMatchObject({
      AuthorizationType: 'API_KEY',
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: ALERT_WEBHOOK_TOKEN_HEADER } },
    });
    const targets = alertRuleOf(stateless).Properties.Targets as Json[];
    expect(targets.map((t) => key(t.Arn)).sort()).toEqual(
      [
        key({ Ref: resources(stateless, 'AWS::SNS::Topic')[0]?.[0] }),
        key({ 'Fn::GetAtt': [destinationId, 'Arn'] }),
      ].sort(),
    );
    expect(envOf(fn(stateless, 'app-quotas'))).toMatchObject({
      ALERT_THRESHOLDS: '50,90,100',
      HISTORY_RETENTION_DAYS: '30',
    });
    expect(envOf(fn(dev().stateless, 'app-quotas')).ALERT_THRESHOLDS).toBeUndefined();
  });

  it('reads alertWebhookUrl (https only), alertThresholds and historyRetentionDays from the context', () => {
    const options = (context: Json) => readAppContext(newApp(context), {}).options;
    expect(options({}).alertWebhookUrl).toBeUndefined();
    expect(options({ alertWebhookUrl: 'https://hooks.example.com/q' }).alertWebhookUrl).toBe(
      'https://hooks.example.com/q',
    );
    for (const bad of ['http://hooks.example.com', 'hooks', 'ftp://x.example'])
      expect(() => options({ alertWebhookUrl: bad }), bad).toThrow(/alertWebhookUrl/);
    expect(options({ alertThresholds: '90,50' }).alertThresholds).toEqual([50, 90]);
    expect(options({ alertThresholds: [75, 100] }).alertThresholds).toEqual([75, 100]);
    for (const bad of ['0', '101', '50,50', 'x', '80;100'])
      expect(() => options({ alertThresholds: bad }), bad).toThrow(/alertThresholds/);
    expect(options({ historyRetentionDays: '30' }).historyRetentionDays).toBe(30);
    for (const bad of ['0', '-1', '1.5', 'forever'])
      expect(() => options({ historyRetentionDays: bad }), bad).toThrow(/historyRetentionDays/);
  });
});

describe('alarms', () => {
  interface AlarmProps {
    readonly Namespace?: string;
    readonly MetricName?: string;
    readonly Dimensions?: unknown;
    readonly Threshold?: number;
  }

  it("watch API 5xx, each function's errors and throttles, the table's read and write throttling and the stream's dead letters", () => {
    for (const synthesized of [dev(), prod()]) {
      const { stateless } = synthesized;
      const [apiId] = resources(stateless, 'AWS::ApiGatewayV2::Api').map(([id]) => id);
      const tableName = tableNameReference(synthesized);
      const watched = resources(stateless, 'AWS::CloudWatch::Alarm').map(([, alarm]) => {
        const props = alarm.Properties as AlarmProps;
        return key([props.Namespace, props.MetricName, props.Dimensions, props.Threshold]);
      });
      const expected = [
        ['AWS/ApiGateway', '5xx', [{ Name: 'ApiId', Value: { Ref: apiId } }], ALARM_THRESHOLDS.api5xx],
        ...[...functionsOf(stateless).values()].flatMap((deployed) => {
          const dimensions = [{ Name: 'FunctionName', Value: { Ref: deployed.logicalId } }];
          return [
            ['AWS/Lambda', 'Errors', dimensions, ALARM_THRESHOLDS.functionErrors],
            ['AWS/Lambda', 'Throttles', dimensions, ALARM_THRESHOLDS.functionThrottles],
          ];
        }),
        ...['ReadThrottleEvents', 'WriteThrottleEvents'].map((metric) => [
          'AWS/DynamoDB',
          metric,
          [{ Name: 'TableName', Value: tableName }],
          ALARM_THRESHOLDS.tableThrottleEvents,
        ]),
        [
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueueId(stateless), 'QueueName'] } }],
          DEAD_LETTER_ALARM_THRESHOLD,
        ],
      ].map(key);
      expect(watched.sort()).toEqual(expected.sort());
    }
  });

  it('go off on the sum of one 5-minute period reaching the threshold, treat missing data as fine, and notify the topic', () => {
    expect(ALARM_PERIOD.toSeconds()).toBe(300);
    for (const threshold of Object.values(ALARM_THRESHOLDS)) expect(threshold).toBeGreaterThanOrEqual(1);
    const alarms = resources(dev().stateless, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(1 + 2 * FUNCTION_NAMES.length + 2 + 1);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties, id).toMatchObject({
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmDescription: expect.stringContaining('credential-quota (dev)'),
      });
      // Raised and back to OK, both to the stage's topic.
      const [topicId] = resources(dev().stateless, 'AWS::SNS::Topic').map(([topic]) => topic);
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.Metrics, id).toBeUndefined();
    }
  });
});

describe('exports for other stacks', () => {
  it('export the API URL, the table name and its ARN under names fixed by the stage', () => {
    for (const stage of ['dev', 'prod']) {
      const synthesized = synth(stage);
      const [tableId] = resources(synthesized.stateful, 'AWS::DynamoDB::GlobalTable').map(([id]) => id);
      synthesized.stateful.hasOutput('TableName', {
        Value: { Ref: tableId },
        Export: { Name: `credential-quota-${stage}-TableName` },
      });
      synthesized.stateful.hasOutput('TableArn', {
        Value: { 'Fn::GetAtt': [tableId, 'Arn'] },
        Export: { Name: `credential-quota-${stage}-TableArn` },
      });
      synthesized.stateless.hasOutput('ApiUrl', { Export: { Name: `credential-quota-${stage}-ApiUrl` } });
    }
  });

  it("grantQuotaGuard gives another stack's function GetItem and UpdateItem on the imported table, and its name", () => {
    const app = new App();
    const stack = new Stack(app, 'Consumer');
    const fn = new LambdaFunction(stack, 'Guarded', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
    });
    const table = TableV2.fromTableArn(stack, 'Quotas', Fn.importValue('credential-quota-dev-TableArn'));
    grantQuotaGuard(fn, table);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: [...FUNCTION_TABLE_ACTIONS['quota-consumptions'].onTable],
            Effect: 'Allow',
            Resource: { 'Fn::ImportValue': 'credential-quota-dev-TableArn' },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TABLE_NAME: Match.anyValue() } },
    });
    expect([...QUOTA_GUARD_TABLE_ACTIONS]).toEqual(FUNCTION_TABLE_ACTIONS['quota-consumptions'].onTable);
  });
});

describe('CORS', () => {
  const corsOf = (template: Template) =>
    resources(template, 'AWS::ApiGatewayV2::Api')[0]?.[1].Properties.CorsConfiguration as Json | undefined;

  it('is off by default: no CORS configuration, so API Gateway answers no preflight', () => {
    expect(corsOf(dev().stateless)).toBeUndefined();
    expect(readAppContext(newApp({}), {}).options.corsOrigins).toBeUndefined();
  });

  it('with -c corsOrigins, allows those origins, the API methods and the token and signing headers', () => {
    const { options } = readAppContext(newApp({ corsOrigins: 'https://a.example, https://b.example:8443' }), {});
    expect(options.corsOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
    const cors = corsOf(synth('dev', options).stateless);
    expect(cors?.AllowOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(cors?.AllowHeaders).toEqual(
      expect.arrayContaining(['X-Auth-Token', 'Authorization', 'X-Sdk-Date', 'X-Project-Id', 'Content-Type']),
    );
    expect([...((cors?.AllowMethods ?? []) as string[])].sort()).toEqual(['DELETE', 'GET', 'POST', 'PUT']);
    expect(cors?.ExposeHeaders).toEqual(expect.arrayContaining(['X-Request-Id', 'Retry-After', 'RateLimit']));
    expect(cors?.MaxAge).toBe(3600);
    expect(cors?.AllowCredentials).toBeUndefined();
  });

  it('refuses what is not an origin', () => {
    for (const bad of ['*', 'a.example', 'https://a.example/', 'https://a.example/app', 'https://a.example,']) {
      expect(() => readAppContext(newApp({ corsOrigins: bad }), {}), bad).toThrow(/corsOrigins/);
    }
  });
});

describe('custom domain', () => {
  const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f3e2a1b-1234-4cde-8f00-abcdefabcdef';
  const withDomain = memo(() =>
    synth('dev', { customDomain: { domainName: 'quota.example.com', certificateArn, basePath: 'v1' } }),
  );

  it('is a regional domain with its certificate, mapped to the API stage under the base path', () => {
    const { stateless } = withDomain();
    const domains = resources(stateless, 'AWS::ApiGatewayV2::DomainName');
    expect(domains).toHaveLength(1);
    const [domainId, domain] = domains[0] ?? [];
    expect(domain?.Properties).toMatchObject({
      DomainName: 'quota.example.com',
      DomainNameConfigurations: [{ CertificateArn: certificateArn, EndpointType: 'REGIONAL' }],
    });
    const [apiId] = resources(stateless, 'AWS::ApiGatewayV2::Api').map(([id]) => id);
    const [stageId] = resources(stateless, 'AWS::ApiGatewayV2::Stage').map(([id]) => id);
    const mappings = resources(stateless, 'AWS::ApiGatewayV2::ApiMapping').map(([, mapping]) => mapping);
    expect(mappings.map((mapping) => mapping.Properties)).toEqual([
      { ApiId: { Ref: apiId }, DomainName: { Ref: domainId }, Stage: '$default', ApiMappingKey: 'v1' },
    ]);
    // Named by its stage name, so created only once the stage is.
    expect((mappings[0] as { DependsOn?: string[] }).DependsOn).toContain(stageId);
  });

  it('makes ApiUrl the domain with its base path, and outputs where to point the DNS record', () => {
    const { stateless } = withDomain();
    stateless.hasOutput('ApiUrl', { Value: 'https://quota.example.com/v1' });
    const [domainId] = resources(stateless, 'AWS::ApiGatewayV2::DomainName').map(([id]) => id);
    stateless.hasOutput('DomainTarget', { Value: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] } });
  });

  it('tells every function the base path, which API Gateway leaves in rawPath', () => {
    for (const [name, deployed] of functionsOf(withDomain().stateless)) {
      expect(envOf(deployed).API_BASE_PATH, name).toBe('v1');
    }
    for (const [name, deployed] of functionsOf(dev().stateless)) {
      expect(envOf(deployed).API_BASE_PATH, name).toBeUndefined();
    }
  });

  it('without a base path, maps the domain root and leaves the functions alone', () => {
    const { stateless } = synth('dev', { customDomain: { domainName: 'quota.example.com', certificateArn } });
    const mappings = resources(stateless, 'AWS::ApiGatewayV2::ApiMapping').map(([, mapping]) => mapping.Properties);
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.ApiMappingKey).toBeUndefined();
    stateless.hasOutput('ApiUrl', { Value: 'https://quota.example.com' });
    for (const deployed of functionsOf(stateless).values()) expect(envOf(deployed).API_BASE_PATH).toBeUndefined();
  });

  it('is absent by default', () => {
    expect(resources(dev().stateless, 'AWS::ApiGatewayV2::DomainName')).toHaveLength(0);
    expect(resources(dev().stateless, 'AWS::ApiGatewayV2::ApiMapping')).toHaveLength(0);
  });

  it('reads domainName, certificateArn and basePath from the context, refusing half or malformed settings', () => {
    const read = (values: Json) => readAppContext(newApp(values), {}).options.customDomain;
    expect(read({ domainName: 'quota.example.com', certificateArn, basePath: 'quota/v2' })).toEqual({
      domainName: 'quota.example.com',
      certificateArn,
      basePath: 'quota/v2',
    });
    expect(read({})).toBeUndefined();
    expect(() => read({ domainName: 'quota.example.com' })).toThrow(/go together/);
    expect(() => read({ certificateArn })).toThrow(/go together/);
    expect(() => read({ basePath: 'v1' })).toThrow(/basePath needs/);
    expect(() => read({ domainName: 'https://quota.example.com', certificateArn })).toThrow(/host name/);
    expect(() => read({ domainName: 'quota.example.com', certificateArn: 'arn:aws:iam::1:role/x' })).toThrow(/ACM/);
    for (const basePath of ['/v1', 'v1/', 'a//b', 'v 1']) {
      expect(() => read({ domainName: 'quota.example.com', certificateArn, basePath }), basePath).toThrow(/basePath/);
    }
  });
});

describe('alarm topic', () => {
  it('is one SNS topic, encrypted with a rotating key of its own, refusing publishers without TLS', () => {
    const { stateless } = dev();
    const topics = resources(stateless, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const keyId = target(topics[0]?.[1].Properties.KmsMasterKeyId);
    const key = new Map(resources(stateless, 'AWS::KMS::Key')).get(keyId ?? '');
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    // Scheduled for deletion with the stack, after 7 days, rather than kept (and billed) forever.
    expect(key?.DeletionPolicy).toBe('Delete');
    expect(key?.Properties.PendingWindowInDays).toBe(7);
    const policies = resources(stateless, 'AWS::SNS::TopicPolicy').flatMap(([, policy]) => statementsOf(policy));
    expect(policies).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('lets CloudWatch alarms of this account, and only those, publish and use the key', () => {
    const { stateless } = dev();
    const [topicId] = resources(stateless, 'AWS::SNS::Topic').map(([id]) => id);
    const fromAlarms = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':cloudwatch:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':alarm:*',
            ],
          ],
        },
      },
    };
    const topicStatements = resources(stateless, 'AWS::SNS::TopicPolicy').flatMap(([, policy]) => statementsOf(policy));
    expect(topicStatements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: fromAlarms,
      }),
    );
    const keyStatements = resources(stateless, 'AWS::KMS::Key').flatMap(([, key]) =>
      asArray((key.Properties.KeyPolicy as { Statement: Statement[] }).Statement),
    );
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: fromAlarms,
      }),
    );
  });

  it('has no subscription by default, and an e-mail one with -c alarmEmail', () => {
    expect(resources(dev().stateless, 'AWS::SNS::Subscription')).toHaveLength(0);
    const { stateless } = synth('dev', { alarmEmail: 'oncall@example.com' });
    const [topicId] = resources(stateless, 'AWS::SNS::Topic').map(([id]) => id);
    const subscriptions = resources(stateless, 'AWS::SNS::Subscription').map(([, sub]) => sub.Properties);
    expect(subscriptions).toEqual([{ Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } }]);
    stateless.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });

  it('reads alarmEmail from the context, refusing what is not an address', () => {
    expect(readAppContext(newApp({ alarmEmail: 'ops@example.com' }), {}).options.alarmEmail).toBe('ops@example.com');
    expect(readAppContext(newApp({}), {}).options.alarmEmail).toBeUndefined();
    for (const bad of ['ops', 'ops@', '@example.com', 'a b@example.com']) {
      expect(() => readAppContext(newApp({ alarmEmail: bad }), {}), bad).toThrow(/alarmEmail/);
    }
  });
});

interface DashboardMetric {
  readonly expression?: string;
  readonly namespace?: string;
  readonly metricName?: string;
  readonly dimensions: Record<string, string>;
  readonly stat?: string;
}
interface DashboardWidget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly metrics?: unknown[][];
    readonly alarms?: string[];
  };
}

/**
 * The dashboard's body as JSON: its `Fn::Join` with each `Ref` and `Fn::GetAtt` written as
 * `<Ref:id>` / `<GetAtt:id.attr>`, so widgets can be read and references checked.
 */
const dashboardOf = (template: Template): { name: unknown; widgets: DashboardWidget[] } => {
  const dashboards = resources(template, 'AWS::CloudWatch::Dashboard');
  expect(dashboards).toHaveLength(1);
  const props = dashboards[0]?.[1].Properties ?? {};
  const parts = (props.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::ImportValue'?: string };
      if (ref.Ref) return `<Ref:${ref.Ref}>`;
      if (ref['Fn::GetAtt']) return `<GetAtt:${ref['Fn::GetAtt'].join('.')}>`;
      if (ref['Fn::ImportValue']) return `<Import:${ref['Fn::ImportValue']}>`;
      throw new Error(`unexpected token in the dashboard: ${key(part)}`);
    })
    .join('');
  return { name: props.DashboardName, widgets: (JSON.parse(text) as { widgets: DashboardWidget[] }).widgets };
};

/** A graph's metric rows as objects: `[namespace, name, dim, value, ..., {options}]` or `[{expression}]`. */
const graphMetrics = (widget: DashboardWidget | undefined): DashboardMetric[] =>
  (widget?.properties.metrics ?? []).map((row) => {
    const options = (typeof row.at(-1) === 'object' ? row.at(-1) : {}) as Record<string, unknown>;
    const fields = row.filter((cell) => typeof cell === 'string') as string[];
    if (options.expression) return { expression: String(options.expression), dimensions: {} };
    const [namespace, metricName, ...dims] = fields;
    const dimensions: Record<string, string> = {};
    for (let i = 0; i + 1 < dims.length; i += 2) dimensions[dims[i] ?? ''] = dims[i + 1] ?? '';
    return { namespace, metricName, dimensions, stat: options.stat as string | undefined };
  });

describe('dashboard', () => {
  const widget = (title: RegExp) => {
    const found = dashboardOf(dev().stateless).widgets.filter((w) => title.test(w.properties.title ?? ''));
    expect(found, String(title)).toHaveLength(1);
    return found[0];
  };
  const functionRefs = () => [...functionsOf(dev().stateless)].map(([name, f]) => [name, `<Ref:${f.logicalId}>`]);

  it('is one dashboard named after the stage, and an output names it', () => {
    const { name } = dashboardOf(dev().stateless);
    expect(name).toBe('credential-quota-dev');
    dev().stateless.hasOutput('DashboardName', {});
  });

  it('shows consumes per second, admitted and refused, from the service metrics in total', () => {
    const rows = graphMetrics(widget(/^Consumes per second/));
    const rates = rows.filter((row) => row.expression).map((row) => row.expression);
    expect(rates.sort()).toEqual(['admitted / PERIOD(admitted)', 'refused / PERIOD(refused)']);
    const counted = rows.filter((row) => row.metricName).map((row) => [row.namespace, row.metricName, row.dimensions]);
    expect(counted).toEqual(
      expect.arrayContaining([
        ['CredentialQuota', 'ConsumeAdmitted', { service: 'credential-quota' }],
        ['CredentialQuota', 'ConsumeRefused', { service: 'credential-quota' }],
      ]),
    );
  });

  it('shows p50 and p99 latency of each function', () => {
    const rows = graphMetrics(widget(/^Latency p50/));
    for (const [name, ref] of functionRefs()) {
      for (const stat of ['p50', 'p99']) {
        expect(rows, `${name} ${stat}`).toContainEqual(
          expect.objectContaining({
            namespace: 'AWS/Lambda',
            metricName: 'Duration',
            dimensions: { FunctionName: ref },
            stat,
          }),
        );
      }
    }
  });

  it('shows 4xx and 5xx by route family (function), and the API totals', () => {
    const rows = graphMetrics(widget(/^4xx \/ 5xx by route family/));
    for (const name of FUNCTION_NAMES) {
      for (const metricName of ['ClientErrors', 'ServerErrors']) {
        expect(rows).toContainEqual(
          expect.objectContaining({
            namespace: 'CredentialQuota',
            metricName,
            dimensions: { function: name, service: 'credential-quota' },
          }),
        );
      }
    }
    const [apiId] = resources(dev().stateless, 'AWS::ApiGatewayV2::Api').map(([id]) => id);
    for (const metricName of ['4xx', '5xx']) {
      expect(rows).toContainEqual(
        expect.objectContaining({ namespace: 'AWS/ApiGateway', metricName, dimensions: { ApiId: `<Ref:${apiId}>` } }),
      );
    }
  });

  it('shows Lambda throttles and concurrency of each function', () => {
    const rows = graphMetrics(widget(/^Lambda throttles and concurrency/));
    for (const [name, ref] of functionRefs()) {
      for (const metricName of ['Throttles', 'ConcurrentExecutions']) {
        expect(rows, `${name} ${metricName}`).toContainEqual(
          expect.objectContaining({ namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: ref } }),
        );
      }
    }
  });

  it("shows the table's consumed capacity and throttles, and the 503s they cause", () => {
    const table = { TableName: `<Import:${tableNameReference(dev())['Fn::ImportValue']}>` };
    const capacity = graphMetrics(widget(/^DynamoDB consumed capacity/));
    const throttles = graphMetrics(widget(/^DynamoDB throttles/));
    for (const metricName of ['ConsumedReadCapacityUnits', 'ConsumedWriteCapacityUnits']) {
      expect(capacity).toContainEqual(
        expect.objectContaining({ namespace: 'AWS/DynamoDB', metricName, dimensions: table }),
      );
    }
    for (const metricName of ['ReadThrottleEvents', 'WriteThrottleEvents']) {
      expect(throttles).toContainEqual(
        expect.objectContaining({ namespace: 'AWS/DynamoDB', metricName, dimensions: table }),
      );
    }
    for (const name of FUNCTION_NAMES) {
      for (const metricName of ['DynamoDbThrottles', 'ServiceUnavailable']) {
        expect(throttles).toContainEqual(
          expect.objectContaining({
            namespace: 'CredentialQuota',
            metricName,
            dimensions: { function: name, service: 'credential-quota' },
          }),
        );
      }
    }
  });

  it('shows every alarm of the stage', () => {
    const alarms = widget(/^Alarms$/)?.properties.alarms ?? [];
    const expected = resources(dev().stateless, 'AWS::CloudWatch::Alarm').map(([id]) => `<GetAtt:${id}.Arn>`);
    expect(alarms.sort()).toEqual(expected.sort());
    expect(expected).toHaveLength(1 + 2 * FUNCTION_NAMES.length + 2 + 1);
  });
});

describe('bounded metrics', () => {
  /** A `Fn::Join` of strings and references as text, each `Ref` and `Fn::GetAtt` written `<Ref:id>` / `<GetAtt:id.attr>`. */
  const joined = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const parts = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    return parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
        if (ref.Ref) return `<Ref:${ref.Ref}>`;
        if (ref['Fn::GetAtt']) return `<GetAtt:${ref['Fn::GetAtt'].join('.')}>`;
        throw new Error(`unexpected token: ${key(part)}`);
      })
      .join('');
  };
  const ALLOWED_DIMENSIONS: Readonly<Record<string, readonly string[]>> = {
    service: [SERVICE_NAME],
    function: FUNCTION_NAMES,
  };
  const expectFixedDimensions = (dimensions: Record<string, unknown>, where: string) => {
    for (const [name, value] of Object.entries(dimensions)) {
      expect(Object.keys(ALLOWED_DIMENSIONS), `${where}: dimension ${name}`).toContain(name);
      expect(ALLOWED_DIMENSIONS[name], `${where}: ${name}=${String(value)}`).toContain(value);
    }
  };

  it('no metric dimension the functions write takes a tenant-created value, whatever tenants create', () => {
    const written: string[] = [];
    const metrics = new ServiceMetrics({ sink: (line) => written.push(line), now: () => 0 });
    const tenantValues: string[] = [];
    // Every kind of invocation the middleware counts, with ids and keys no two runs share.
    for (let call = 0; call < 3 * METRICS_BATCH_CALLS; call += 1) {
      const fn = FUNCTION_NAMES[call % FUNCTION_NAMES.length] as FunctionName;
      const status = [200, 429, 404, 400, 500, 503][call % 6] as number;
      if (fn === 'quota-consumptions') {
        const record = {
          projectId: randomUUID().replaceAll('-', ''),
          instanceId: randomUUID().replaceAll('-', ''),
          appKey: randomUUID().replaceAll('-', ''),
        };
        tenantValues.push(record.projectId, record.instanceId, record.appKey);
        metrics.consumption({ ...record, admitted: status === 200, cost: 1 + (call % 5) });
      }
      metrics.publish({ fn, status, latencyMs: call % 50, throttled: call % 2 === 0 });
    }
    metrics.flush();
    const emf = written.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => '_aws' in line);
    expect(emf.length).toBeGreaterThan(FUNCTION_NAMES.length);
    for (const line of emf) {
      const directive = (line._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] })
        .CloudWatchMetrics;
      for (const { Namespace, Dimensions } of directive) {
        expect(Namespace).toBe(METRICS_NAMESPACE);
        for (const set of Dimensions) {
          expectFixedDimensions(Object.fromEntries(set.map((name) => [name, line[name]])), 'EMF');
        }
      }
      // Not as a dimension, nor anywhere else in a line that CloudWatch turns into metrics.
      const text = JSON.stringify(line);
      for (const value of tenantValues) expect(text).not.toContain(value);
    }
  });

  it("no dashboard graph or alarm reads a service metric by a dimension that is not the service's own", () => {
    let read = 0;
    for (const widget of dashboardOf(dev().stateless).widgets) {
      for (const row of graphMetrics(widget)) {
        if (row.namespace !== METRICS_NAMESPACE) continue;
        read += 1;
        expectFixedDimensions(row.dimensions, `${widget.properties.title} ${row.metricName}`);
      }
    }
    expect(read).toBeGreaterThan(0);
    for (const [id, alarm] of resources(dev().stateless, 'AWS::CloudWatch::Alarm')) {
      const props = alarm.Properties as {
        Namespace?: string;
        Dimensions?: { Name: string; Value: unknown }[];
        Metrics?: { MetricStat?: { Metric: { Namespace: string; Dimensions?: { Name: string; Value: unknown }[] } } }[];
      };
      const metrics = [
        { Namespace: props.Namespace, Dimensions: props.Dimensions },
        ...(props.Metrics ?? []).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : [])),
      ];
      for (const metric of metrics) {
        if (metric.Namespace !== METRICS_NAMESPACE) continue;
        expectFixedDimensions(Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name, d.Value])), id);
      }
    }
  });

  /** The stage's Contributor Insights rules: logical id, name and definition. */
  const insightRules = () =>
    resources(dev().stateless, 'AWS::CloudWatch::InsightRule').map(([id, rule]) => ({
      id,
      name: rule.Properties.RuleName as string,
      state: rule.Properties.RuleState as string,
      body: JSON.parse(joined(rule.Properties.RuleBody)) as {
        Schema: unknown;
        LogGroupNames: string[];
        LogFormat: string;
        AggregateOn: string;
        Contribution: { Keys: string[]; ValueOf: string; Filters: Record<string, unknown>[] };
      },
    }));

  it('Contributor Insights rules rank instances and credentials by admitted and by refused calls, from the tally lines of the data plane', () => {
    const logGroup = target((fn(dev().stateless, 'quota-consumptions').props.LoggingConfig as Json).LogGroup);
    const rules = insightRules();
    const byName = new Map(rules.map((rule) => [rule.name, rule.body]));
    expect(rules).toHaveLength(4);
    for (const rule of rules) expect(rule.state).toBe('ENABLED');
    const instance = ['$.project', '$.instance'];
    for (const [kind, keys] of [
      ['instances', instance],
      ['credentials', [...instance, '$.app_key']],
    ] as const) {
      for (const calls of ['admitted', 'refused']) {
        const body = byName.get(`credential-quota-dev-top-${kind}-${calls}`);
        expect(body, `${kind} ${calls}`).toEqual({
          Schema: { Name: 'CloudWatchLogRule', Version: 1 },
          LogGroupNames: [`<Ref:${logGroup}>`],
          LogFormat: 'JSON',
          AggregateOn: 'Sum',
          Contribution: {
            Keys: keys,
            ValueOf: `$.${calls}`,
            Filters: [
              { Match: '$.tally', In: ['consume'] },
              { Match: `$.${calls}`, GreaterThan: 0 },
            ],
          },
        });
      }
    }
    // The fields the rules read are those a tally line carries.
    const written: string[] = [];
    const metrics = new ServiceMetrics({ sink: (line) => written.push(line), now: () => 0 });
    metrics.consumption({ projectId: 'p', instanceId: 'i', appKey: 'k', admitted: true, cost: 1 });
    metrics.publish({ fn: 'quota-consumptions', status: 200, latencyMs: 1, throttled: false });
    metrics.consumption({ projectId: 'p', instanceId: 'i', appKey: 'k', admitted: false, cost: 1 });
    metrics.publish({ fn: 'quota-consumptions', status: 429, latencyMs: 1, throttled: false });
    metrics.flush();
    const tally = written.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => !('_aws' in line));
    expect(tally).toEqual({ tally: 'consume', project: 'p', instance: 'i', app_key: 'k', admitted: 1, refused: 1 });
  });

  it('the dashboard graphs the top contributors of each rule', () => {
    const rules = insightRules();
    const shown = dashboardOf(dev().stateless)
      .widgets.map((widget) => widget.properties as { title?: string; insightRule?: Record<string, unknown> })
      .filter((properties) => properties.insightRule);
    expect(shown.map((properties) => properties.insightRule)).toEqual(
      rules.map((rule) => ({ maxContributorCount: 10, orderBy: 'Sum', ruleName: `<GetAtt:${rule.id}.RuleName>` })),
    );
    expect(shown.map((properties) => properties.title)).toEqual([
      'Top instances by admitted calls',
      'Top instances by refused calls',
      'Top credentials by admitted calls',
      'Top credentials by refused calls',
    ]);
  });
});

describe('cdk-nag AwsSolutions checks', () => {
  interface Finding {
    readonly rule: string;
    readonly severity: string;
    readonly path: string;
  }

  /** Every finding of the pack on the app; with `ignoreAcknowledgments`, the acknowledged ones too. */
  const findings = (app: App, ignoreAcknowledgments = false): Finding[] => {
    const pack = new AwsSolutionsChecks();
    // The pack's own (private) check of acknowledgments, switched off to see what they hide.
    if (ignoreAcknowledgments) Object.assign(pack, { isAcknowledged: () => false });
    return pack.validateScope(app).violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => ({
        rule: violation.ruleName,
        severity: violation.severity ?? 'error',
        path: resource.constructPath ?? '',
      })),
    );
  };

  interface Acknowledgment {
    readonly rule: string;
    readonly reason: string;
    readonly path: string;
  }

  const acknowledgments = (app: App): Acknowledgment[] =>
    app.node.findAll().flatMap((construct: IConstruct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
            rule: id.replace(/^annotation::/i, ''),
            reason,
            path: construct.node.path,
          })),
        ),
    );

  const variants = () =>
    [
      ['dev', dev()],
      ['prod', prod()],
      ['jwks', jwks()],
      ['every option', everyOption()],
    ] as const;

  it('find no unacknowledged error or warning in dev, prod, with JWKS or with every option', () => {
    for (const [variant, synthesized] of variants()) {
      expect(findings(synthesized.app), variant).toEqual([]);
    }
  });

  it("acknowledge only APIG4 (routes), IAM5 for X-Ray (function roles), SMG4 (generated secrets) and SQS3 (the stream's dead-letter queue), each with a reason", () => {
    for (const [variant, synthesized] of variants()) {
      const rules = new Set(acknowledgments(synthesized.app).map((ack) => ack.rule));
      // SMG4 in every variant: the access-key sealing secret is generated whatever verifies tokens.
      const expected = [
        'AwsSolutions-APIG4',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
      ];
      expect([...rules].sort(), variant).toEqual(expected.sort());
      for (const ack of acknowledgments(synthesized.app)) expect(ack.reason.length, ack.path).toBeGreaterThan(60);
    }
  });

  it('acknowledge nothing that is not found: each acknowledgment hides a finding of its own construct', () => {
    for (const [variant, synthesized] of variants()) {
      const raw = findings(synthesized.app, true);
      for (const ack of acknowledgments(synthesized.app)) {
        const hidden = raw.filter(
          (finding) =>
            finding.rule === ack.rule && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)),
        );
        expect(hidden.length, `${variant} ${ack.rule} on ${ack.path}`).toBeGreaterThan(0);
      }
      // And what they hide is all there is: without them, only acknowledged rules are found.
      const acknowledged = new Set(acknowledgments(synthesized.app).map((ack) => ack.rule));
      for (const finding of raw)
        expect(acknowledged, `${variant} ${finding.rule} ${finding.path}`).toContain(finding.rule);
    }
  });
});
