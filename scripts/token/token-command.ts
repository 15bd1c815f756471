/**
 * The token command behind `npm run token`, apart from the process so it can be tested: arguments
 * and AWS clients in, what to print and the exit code out.
 */
import { parseArgs } from 'node:util';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEVELOPMENT_JWT_SECRET, readConfig } from '#app/config.ts';
import { signToken } from '#auth/token-issuer.ts';
import { describeDeployedStage, readSecretString } from '#infra/deployed-stage.ts';
import { parseStage } from '#infra/stage.ts';

/** The usage line printed on a wrong argument. */
export const TOKEN_USAGE =
  'usage: npm run -s token -- --project ID [--actions a,b] [--ttl SECONDS] [--sub NAME] ' +
  '[--stage NAME | --secret-arn ARN] [--region REGION]';

/** The AWS clients the command may use, made only when needed (a local token needs none). */
export interface TokenCommandClients {
  readonly secretsManager: (region: string | undefined) => SecretsManagerClient;
  readonly cloudFormation: (region: string | undefined) => CloudFormationClient;
}

/** What the command prints, and how it exits. */
export interface TokenCommandResult {
  readonly exitCode: number;
  readonly stdout?: string;
  readonly stderr?: string;
}

/**
 * Runs `npm run token` with its arguments: a token signed with `AUTH_JWT_SECRET` (or the
 * development default), or, with `--stage NAME` or `--secret-arn ARN`, with the deployed stage's
 * signing secret, read through Secrets Manager with the caller's credentials. A stage that
 * verifies OIDC tokens has no secret to read: the command says which issuer to ask instead.
 */
export const runTokenCommand = async (
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  clients: TokenCommandClients,
): Promise<TokenCommandResult> => {
  let values: {
    project?: string;
    actions: string;
    ttl: string;
    sub?: string;
    stage?: string;
    'secret-arn'?: string;
    region?: string;
  };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        project: { type: 'string' },
        actions: { type: 'string', default: 'apig:*' },
        ttl: { type: 'string', default: '3600' },
        sub: { type: 'string' },
        stage: { type: 'string' },
        'secret-arn': { type: 'string' },
        region: { type: 'string' },
      },
    }));
  } catch (error) {
    return { exitCode: 2, stderr: `${(error as Error).message}\n${TOKEN_USAGE}` };
  }
  const ttlSeconds = Number(values.ttl);
  if (!values.project || !Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    return { exitCode: 2, stderr: TOKEN_USAGE };
  }
  const { maxTokenLifetimeSeconds } = readConfig(env);
  if (ttlSeconds > maxTokenLifetimeSeconds) {
    return {
      exitCode: 2,
      stderr: `token: --ttl ${ttlSeconds} is over the ${maxTokenLifetimeSeconds} s the service accepts (AUTH_MAX_TOKEN_LIFETIME_SECONDS)`,
    };
  }
  if (values.stage !== undefined && values['secret-arn'] !== undefined) {
    return { exitCode: 2, stderr: `--stage and --secret-arn name the same secret: give one\n${TOKEN_USAGE}` };
  }

  let secret: string;
  try {
    if (values['secret-arn'] !== undefined) {
      secret = await readSecretString(clients.secretsManager(values.region), values['secret-arn']);
    } else if (values.stage !== undefined) {
      const stage = await describeDeployedStage(parseStage(values.stage), clients.cloudFormation(values.region));
      if (stage.auth.kind === 'oidc') {
        return {
          exitCode: 1,
          stderr:
            `stage ${values.stage} verifies OIDC tokens, so there is no signing secret to read: get a token from ` +
            `the issuer ${stage.auth.issuer} for the audience ${stage.auth.audience} (keys: ${stage.auth.jwksUrl}), ` +
            'with the claims project_id and actions.',
        };
      }
      secret = await readSecretString(clients.secretsManager(values.region), stage.auth.secretArn);
    } else {
      secret = env.AUTH_JWT_SECRET || DEVELOPMENT_JWT_SECRET;
    }
  } catch (error) {
    return { exitCode: 1, stderr: `token: ${(error as Error).message}` };
  }

  const token = await signToken(secret, {
    projectId: values.project,
    actions: values.actions
      .split(',')
      .map((action) => action.trim())
      .filter(Boolean),
    ttlSeconds,
    subject: values.sub,
  });
  return { exitCode: 0, stdout: token };
};
