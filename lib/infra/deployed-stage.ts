/**
 * What an operator's machine learns about a deployed stage, with the caller's own AWS credentials:
 * the stateless stack's outputs. Used by `npm run token`, `access-key` and `migrate`, never by a function.
 */
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STAGE_OUTPUTS, stackNames } from './stage.ts';

/** How a deployed stage verifies tokens. */
export type DeployedAuth =
  | { readonly kind: 'secret'; readonly secretArn: string }
  | { readonly kind: 'oidc'; readonly issuer: string; readonly audience: string; readonly jwksUrl: string };

/** A deployed stage as its stateless stack's outputs describe it. */
export interface DeployedStage {
  readonly stackName: string;
  readonly apiUrl: string;
  readonly auth: DeployedAuth;
  /** The table and the secret that seals its access keys (absent on stacks older than access keys). */
  readonly tableName: string | undefined;
  readonly accessKeySecretArn: string | undefined;
}

/** A Secrets Manager secret's string value, read with the caller's credentials. */
export const readSecretString = async (client: SecretsManagerClient, secretArn: string): Promise<string> => {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error(`secret ${secretArn} has no string value`);
  return SecretString;
};

/**
 * Reads a stage's stateless stack outputs. Throws with the stack's name when it is not deployed
 * (in the client's account and region) or lacks the outputs this version of the stack writes.
 */
export const describeDeployedStage = async (stage: string, client: CloudFormationClient): Promise<DeployedStage> => {
  const stackName = stackNames(stage).stateless;
  let outputs: ReadonlyMap<string, string>;
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = new Map(
      (Stacks?.[0]?.Outputs ?? []).flatMap((output) =>
        output.OutputKey && output.OutputValue ? [[output.OutputKey, output.OutputValue] as const] : [],
      ),
    );
  } catch (error) {
    const region = await client.config.region().catch(() => 'the default region');
    throw new Error(`could not read stack ${stackName} in ${region}: ${(error as Error).message}`, { cause: error });
  }
  const output = (name: string): string => {
    const value = outputs.get(name);
    if (value === undefined) throw new Error(`stack ${stackName} has no output ${name}: deploy this version first`);
    return value;
  };
  const apiUrl = output(STAGE_OUTPUTS.apiUrl);
  const secretArn = outputs.get(STAGE_OUTPUTS.authSecretArn);
  const auth: DeployedAuth =
    secretArn !== undefined
      ? { kind: 'secret', secretArn }
      : {
          kind: 'oidc',
          issuer: output(STAGE_OUTPUTS.tokenIssuer),
          audience: output(STAGE_OUTPUTS.tokenAudience),
          jwksUrl: output(STAGE_OUTPUTS.jwksUrl),
        };
  return {
    stackName,
    apiUrl,
    auth,
    tableName: outputs.get(STAGE_OUTPUTS.tableName),
    accessKeySecretArn: outputs.get(STAGE_OUTPUTS.accessKeySecretArn),
  };
};

/** The name of a deployed stage's table, from its outputs (for `npm run migrate -- --stage`). */
export const describeDeployedTable = async (stage: string, cloudFormation: CloudFormationClient): Promise<string> => {
  const deployed = await describeDeployedStage(stage, cloudFormation);
  if (!deployed.tableName)
    throw new Error(`stack ${deployed.stackName} has no output TableName: deploy this version first`);
  return deployed.tableName;
};

/** Where a deployed stage keeps its access keys: its table, and the key their secrets are sealed with. */
export interface DeployedAccessKeys {
  readonly tableName: string;
  readonly sealingKey: string;
}

/**
 * Reads what `npm run access-key -- --stage` needs: the stage's table name from its outputs and
 * the sealing key from Secrets Manager, both with the caller's credentials.
 */
export const describeDeployedAccessKeys = async (
  stage: string,
  clients: { readonly cloudFormation: CloudFormationClient; readonly secretsManager: SecretsManagerClient },
): Promise<DeployedAccessKeys> => {
  const deployed = await describeDeployedStage(stage, clients.cloudFormation);
  if (!deployed.tableName || !deployed.accessKeySecretArn)
    throw new Error(
      `stack ${deployed.stackName} has no output TableName or AccessKeySecretArn: deploy this version first`,
    );
  return {
    tableName: deployed.tableName,
    sealingKey: await readSecretString(clients.secretsManager, deployed.accessKeySecretArn),
  };
};
