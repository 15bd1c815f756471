import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEVELOPMENT_JWT_SECRET } from '#app/config.ts';
import { createTokenVerifier } from '#auth/token-verifier.ts';
import { runTokenCommand, TOKEN_USAGE, type TokenCommandClients } from '../../scripts/token/token-command.ts';
import { startSecretsExtension } from '../support/secrets-extension.ts';

const secretsManager = mockClient(SecretsManagerClient);
const cloudFormation = mockClient(CloudFormationClient);

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:TokenSigningSecret-AbCdEf';
const STAGE_SECRET = 'Q7'.repeat(32);
const API_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com/';

const outputs = (values: Record<string, string>) => ({
  Stacks: [
    {
      StackName: 'x',
      CreationTime: new Date(),
      StackStatus: 'CREATE_COMPLETE' as const,
      Outputs: Object.entries(values).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    },
  ],
});

// The regions the command asked its clients for, to check --region reaches them.
let regions: (string | undefined)[];
const clients: TokenCommandClients = {
  secretsManager: (region) => {
    regions.push(region);
    return new SecretsManagerClient({ region: region ?? 'us-east-1' });
  },
  cloudFormation: (region) => {
    regions.push(region);
    return new CloudFormationClient({ region: region ?? 'us-east-1' });
  },
};

beforeEach(() => {
  regions = [];
  secretsManager.reset();
  cloudFormation.reset();
  // Anything not set up below is an unexpected call.
  secretsManager.rejects(new Error('unexpected Secrets Manager call'));
  cloudFormation.rejects(new Error('unexpected CloudFormation call'));
});
afterEach(() => {
  secretsManager.reset();
  cloudFormation.reset();
});

const run = (...args: string[]) => runTokenCommand(args, {}, clients);

describe('npm run token', () => {
  it('signs with AUTH_JWT_SECRET (or the development default) and asks AWS nothing', async () => {
    const result = await runTokenCommand(
      ['--project', 'demo', '--actions', 'apig:app:get, apig:app:list', '--ttl', '120', '--sub', 'ops'],
      { AUTH_JWT_SECRET: 'local-secret-of-this-machine' },
      clients,
    );
    expect(result.exitCode).toBe(0);
    const verify = createTokenVerifier({ kind: 'hs256-secret', secret: 'local-secret-of-this-machine' });
    await expect(verify(result.stdout)).resolves.toEqual({
      projectId: 'demo',
      actions: ['apig:app:get', 'apig:app:list'],
      subject: 'ops',
    });
    const claims = decodeJwt(result.stdout ?? '');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
    const byDefault = await run('--project', 'demo');
    await expect(
      createTokenVerifier({ kind: 'hs256-secret', secret: DEVELOPMENT_JWT_SECRET })(byDefault.stdout),
    ).resolves.toMatchObject({ projectId: 'demo', actions: ['apig:*'] });
    expect(regions).toEqual([]);
    expect(secretsManager.calls()).toHaveLength(0);
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  it('--stage NAME: finds the HS256 stage secret in the stack outputs and signs with its value', async () => {
    cloudFormation
      .on(DescribeStacksCommand, { StackName: 'CredentialQuota-dev-Stateless' })
      .resolves(outputs({ ApiUrl: API_URL, AuthSecretArn: SECRET_ARN }));
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: STAGE_SECRET });
    const result = await run('--project', 'tenant1', '--stage', 'dev', '--region', 'eu-west-1', '--actions', 'apig:*');
    expect(result).toMatchObject({ exitCode: 0 });
    expect(result.stderr).toBeUndefined();
    expect(regions).toEqual(['eu-west-1', 'eu-west-1']);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    // The deployed functions' verifier, which reads the same secret by ARN (through the secrets
    // extension beside the function), accepts it.
    const extension = await startSecretsExtension({ [SECRET_ARN]: STAGE_SECRET });
    try {
      const deployedVerifier = createTokenVerifier({ kind: 'hs256-secret-arn', secretArn: SECRET_ARN });
      await expect(deployedVerifier(result.stdout)).resolves.toEqual({ projectId: 'tenant1', actions: ['apig:*'] });
      // And a token of the development secret is not one of this stage's.
      const local = await run('--project', 'tenant1');
      await expect(deployedVerifier(local.stdout)).rejects.toMatchObject({ status: 401 });
      expect(extension.requests).toEqual([SECRET_ARN]);
    } finally {
      await extension.stop();
    }
  });

  it('--secret-arn ARN: reads that secret directly, with no stack look-up', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: STAGE_SECRET });
    const result = await run('--project', 'p1', '--secret-arn', SECRET_ARN);
    expect(result.exitCode).toBe(0);
    await expect(createTokenVerifier({ kind: 'hs256-secret', secret: STAGE_SECRET })(result.stdout)).resolves.toEqual({
      projectId: 'p1',
      actions: ['apig:*'],
    });
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  it('--stage of an OIDC stage: prints no token but where tokens come from, and reads no secret', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'CredentialQuota-prod-Stateless' }).resolves(
      outputs({
        ApiUrl: API_URL,
        TokenIssuer: 'https://login.example.com/',
        TokenAudience: 'credential-quota',
        JwksUrl: 'https://login.example.com/.well-known/jwks.json',
      }),
    );
    const result = await run('--project', 'p1', '--stage', 'prod');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBeUndefined();
    expect(result.stderr).toContain('stage prod verifies OIDC tokens');
    expect(result.stderr).toContain('https://login.example.com/');
    expect(result.stderr).toContain('credential-quota');
    expect(result.stderr).toContain('https://login.example.com/.well-known/jwks.json');
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it('names the stack when the stage is not deployed, and the secret when it has no value', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(new Error('Stack with id CredentialQuota-qa-Stateless does not exist'));
    const missing = await run('--project', 'p1', '--stage', 'qa', '--region', 'eu-west-1');
    expect(missing).toEqual({
      exitCode: 1,
      stderr: expect.stringMatching(
        /^npm run token: could not read stack CredentialQuota-qa-Stateless in eu-west-1: .*does not exist/,
      ),
    });
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    expect(await run('--project', 'p1', '--secret-arn', SECRET_ARN)).toEqual({
      exitCode: 1,
      stderr: `npm run token: secret ${SECRET_ARN} has no string value`,
    });
  });

  it('refuses, in one line with exit 2, a missing or malformed project, bad actions, a bad ttl, an unknown flag, an invalid stage and --stage with --secret-arn', async () => {
    for (const args of [
      [],
      ['--project', 'p1', '--ttl', '0'],
      ['--project', 'p1', '--ttl', '1.5'],
      ['--project', 'p1', '--bogus'],
      ['--project', 'p1', '--stage', 'dev', '--secret-arn', SECRET_ARN],
      // What the API would refuse: a project id no route takes, actions that grant nothing.
      ['--project', 'demo#INSTANCE#x'],
      ['--project', '../x'],
      ['--project', 'p1', '--actions', ','],
      ['--project', 'p1', '--actions', 'apig:app:get,'],
      ['--project', 'p1', '--actions', 'apig:app:gets'],
    ]) {
      const result = await run(...args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(TOKEN_USAGE);
      expect(result.stderr?.split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stdout).toBeUndefined();
    }
    expect(await run('--project', 'p1', '--stage', 'Prod!')).toMatchObject({
      exitCode: 2,
      stderr: expect.stringContaining('invalid stage'),
    });
    expect(secretsManager.calls()).toHaveLength(0);
    expect(cloudFormation.calls()).toHaveLength(0);
  });
});
