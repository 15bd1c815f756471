import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretBox } from '#domain/secret-box.ts';
import { describeDeployedAccessKeys } from '#infra/deployed-stage.ts';

const cloudFormation = mockClient(CloudFormationClient);
const secretsManager = mockClient(SecretsManagerClient);
afterEach(() => {
  cloudFormation.reset();
  secretsManager.reset();
});

const SEALING_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AccessKeySealingSecret-AbCdEf';

const stack = (outputs: Record<string, string>) => ({
  Stacks: [
    {
      StackName: 'CredentialQuota-dev-Stateless',
      CreationTime: new Date(),
      StackStatus: 'UPDATE_COMPLETE' as const,
      Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    },
  ],
});

const clients = () => ({
  cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }),
  secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
});

describe('npm run access-key -- --stage: where a deployed stage keeps its access keys', () => {
  it("reads the stage's table from its stateless stack and the sealing key from Secrets Manager", async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'CredentialQuota-dev-Stateless' }).resolves(
      stack({
        ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com',
        AuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:TokenSigningSecret-x',
        TableName: 'CredentialQuota-dev-Stateful-Table-1',
        AccessKeySecretArn: SEALING_ARN,
      }),
    );
    secretsManager.on(GetSecretValueCommand, { SecretId: SEALING_ARN }).resolves({ SecretString: 'sealing-value' });
    const found = await describeDeployedAccessKeys('dev', clients());
    expect(found).toEqual({ tableName: 'CredentialQuota-dev-Stateful-Table-1', sealingKey: 'sealing-value' });
    // The key read is the one the functions open secrets with.
    const sealed = createSecretBox('sealing-value').seal('SK', 'AK');
    expect(createSecretBox(found.sealingKey).open(sealed, 'AK')).toBe('SK');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('says to deploy first when the stack predates access keys', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(
      stack({
        ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com',
        AuthSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:TokenSigningSecret-x',
      }),
    );
    await expect(describeDeployedAccessKeys('dev', clients())).rejects.toThrow(/deploy this version first/);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
