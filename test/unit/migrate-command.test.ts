import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBDocumentClient, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appKey, counterKey } from '#store/table/keys.ts';
import { runMigrateCommand } from '../../scripts/migrate/migrate-command.ts';

// `npm run migrate -- --stage`: the stage's table found through its stack outputs, and migrated
// there, with the SDK mocked. The same command on a real table (DynamoDB Local) is
// test/e2e/npm-run-migrate.test.ts.
const cloudFormation = mockClient(CloudFormationClient);
const dynamodb = mockClient(DynamoDBDocumentClient);

const STACK = 'CredentialQuota-dev-Stateless';
const TABLE = 'CredentialQuota-dev-Stateful-TableCD117FA1-X';

const stack = (outputs: Record<string, string>) => ({
  Stacks: [
    {
      StackName: STACK,
      CreationTime: new Date(),
      StackStatus: 'UPDATE_COMPLETE' as const,
      Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    },
  ],
});
const DEPLOYED = stack({
  ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com',
  AuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:TokenSigningSecret-x',
  TableName: TABLE,
  AccessKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AccessKeySealingSecret-x',
});

/** An app item of the layout before counters (no `subcounters`), bound with usage, or of this one. */
const app = (appId: string, layout: 'old' | 'new') => ({
  ...appKey('demo', 'inst1', appId),
  type: 'app',
  project_id: 'demo',
  instance_id: 'inst1',
  app_id: appId,
  app_key: `key${appId}`,
  quota_id: 'q1',
  ...(layout === 'old'
    ? { limit_units: 10, window_ms: 60_000, config_version: 1, window_end_ms: 1_000, remaining: 7 }
    : { subcounters: 1 }),
});

/** The table as two pages of the Scan: 3 items then 2, of which 3 apps (2 of the old layout). */
const twoPages = () => {
  dynamodb
    .on(ScanCommand, { TableName: TABLE, ExclusiveStartKey: undefined })
    .resolves({ Items: [app('a1', 'old'), app('a2', 'new')], ScannedCount: 3, LastEvaluatedKey: { pk: 'p', sk: 's' } })
    .on(ScanCommand, { TableName: TABLE, ExclusiveStartKey: { pk: 'p', sk: 's' } })
    .resolves({ Items: [app('a3', 'old')], ScannedCount: 2 });
};

let lines: string[];
const run = (...argv: string[]) => runMigrateCommand(argv, { progress: (line) => lines.push(line) });

beforeEach(() => {
  lines = [];
  // Anything not set up below is an unexpected call.
  cloudFormation.rejects(new Error('unexpected CloudFormation call'));
  dynamodb.rejects(new Error('unexpected DynamoDB call'));
  cloudFormation.on(DescribeStacksCommand, { StackName: STACK }).resolves(DEPLOYED);
});
afterEach(() => {
  cloudFormation.reset();
  dynamodb.reset();
});

describe('npm run migrate -- --stage NAME', () => {
  it("--dry-run reads the stage's table, from its outputs, in --region, page by page, and writes nothing", async () => {
    twoPages();
    const outcome = await run('--stage', 'dev', '--region', 'eu-west-1', '--dry-run', '--page-size', '3');
    expect(outcome).toEqual({
      exitCode: 0,
      stdout: `migrate (dry run, nothing written): table ${TABLE} in eu-west-1: 3 apps, 2 to move to counters, 1 already on counters`,
    });
    expect(lines).toEqual([
      'migrate (dry run): page 1: 3 items read (2 apps), 1 to move, 1 already on counters',
      'migrate (dry run): page 2: 2 items read (1 apps), 1 to move, 0 already on counters',
    ]);
    const scans = dynamodb.commandCalls(ScanCommand);
    expect(scans.map((call) => call.args[0].input)).toMatchObject([
      { TableName: TABLE, Limit: 3, ConsistentRead: true },
      { TableName: TABLE, Limit: 3, ExclusiveStartKey: { pk: 'p', sk: 's' } },
    ]);
    const client = scans[0]?.thisValue as DynamoDBDocumentClient;
    expect(await client.config.region()).toBe('eu-west-1');
    expect(dynamodb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('moves each app of the old layout in one conditioned transaction on that table', async () => {
    twoPages();
    dynamodb.on(TransactWriteCommand).resolves({});
    const outcome = await run('--stage', 'dev', '--region', 'eu-west-1');
    expect(outcome).toEqual({
      exitCode: 0,
      stdout: `migrate: table ${TABLE} in eu-west-1: 3 apps, 2 moved to counters, 1 already on counters`,
    });
    expect(lines).toEqual([
      'migrate: page 1: 3 items read (2 apps), 1 moved, 1 already on counters',
      'migrate: page 2: 2 items read (1 apps), 1 moved, 0 already on counters',
    ]);
    expect(dynamodb.commandCalls(ScanCommand)[0]?.args[0].input.Limit).toBe(100);
    const moves = dynamodb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems);
    expect(moves).toHaveLength(2);
    expect(moves[0]).toMatchObject([
      { Update: { TableName: TABLE, Key: counterKey('demo', 'inst1', 'keya1') } },
      { Update: { TableName: TABLE, Key: appKey('demo', 'inst1', 'a1'), ConditionExpression: /subcounters/ } },
    ]);
  });

  it('a stop between two apps says how far it got and to run it again, exit 1', async () => {
    twoPages();
    dynamodb.on(TransactWriteCommand).resolves({});
    const stop = new AbortController();
    const outcome = await runMigrateCommand(['--stage', 'dev', '--region', 'eu-west-1'], {
      progress: (line) => {
        lines.push(line);
        stop.abort();
      },
      signal: stop.signal,
    });
    expect(outcome).toEqual({
      exitCode: 1,
      stderr:
        `npm run migrate: table ${TABLE} in eu-west-1: stopped at page 2 with 2 apps, 1 moved to counters, ` +
        '1 already on counters: run it again to move the rest',
    });
    expect(lines).toHaveLength(1);
    expect(dynamodb.commandCalls(ScanCommand)).toHaveLength(1);
    expect(dynamodb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('without AWS credentials: one line naming the stack and the credentials, exit 1', async () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    cloudFormation.on(DescribeStacksCommand).rejects(missing);
    expect(await run('--stage', 'dev', '--region', 'eu-west-1')).toEqual({
      exitCode: 1,
      stderr: `npm run migrate: could not read stack ${STACK} in eu-west-1: Could not load credentials from any providers`,
    });
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it('a stack older than its TableName output, or a table gone: one line naming it, exit 1', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(stack({ ApiUrl: 'https://x', AuthSecretArn: 'arn:x' }));
    expect(await run('--stage', 'dev', '--region', 'eu-west-1')).toEqual({
      exitCode: 1,
      stderr: `npm run migrate: stack ${STACK} has no output TableName: deploy this version first`,
    });
    expect(dynamodb.calls()).toHaveLength(0);

    cloudFormation.on(DescribeStacksCommand).resolves(DEPLOYED);
    const gone = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    dynamodb.on(ScanCommand).rejects(gone);
    expect(await run('--stage', 'dev', '--region', 'eu-west-1', '--dry-run')).toEqual({
      exitCode: 1,
      stderr: `npm run migrate: table ${TABLE} in eu-west-1: ResourceNotFoundException: Requested resource not found`,
    });
  });

  it('refuses --region without --stage and a page size out of range, before any call, exit 2', async () => {
    for (const [argv, mention] of [
      [['--region', 'eu-west-1'], '--region needs --stage'],
      [['--stage', 'dev', '--page-size', '0'], '--page-size 0'],
      [['--stage', 'dev', '--page-size', 'ten'], '--page-size ten'],
      [['--stage', 'Prod!'], 'invalid stage'],
    ] as const) {
      const outcome = await run(...argv);
      expect(outcome.exitCode, outcome.stderr).toBe(2);
      expect(outcome.stderr).toContain(mention);
    }
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
