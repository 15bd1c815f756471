/**
 * The token command behind `npm run token`, apart from the process so it can be tested: arguments
 * and AWS clients in, what to print and the exit code out, under the scripts' one convention
 * (scripts/cli/cli.ts).
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEVELOPMENT_JWT_SECRET, readConfig } from '#app/config.ts';
import { signToken } from '#auth/token-issuer.ts';
import { describeDeployedStage, readSecretString } from '#infra/deployed-stage.ts';
import { type CliArgs, type CliOutcome, CommandFailure, evaluateCommand, UsageError } from '../cli/cli.ts';
import { actionsArg, projectIdArg, stageArg } from '../cli/input.ts';

/** The usage line printed on a wrong argument. */
export const TOKEN_USAGE =
  'usage: npm run -s token -- --project ID [--actions a,b] [--ttl SECONDS] [--sub NAME] ' +
  '[--stage NAME | --secret-arn ARN] [--region REGION]';

/** `npm run token`'s command line. */
export const TOKEN_COMMAND = {
  name: 'npm run token',
  usage: TOKEN_USAGE,
  help: `Prints a token for project ID: signed with AUTH_JWT_SECRET (the development default when unset),
or with a deployed stage's signing secret (--stage NAME, or --secret-arn ARN), read with your AWS
credentials. --actions defaults to apig:*, --ttl to 3600 seconds.`,
  config: {
    options: {
      project: { type: 'string' },
      actions: { type: 'string', default: 'apig:*' },
      ttl: { type: 'string', default: '3600' },
      sub: { type: 'string' },
      stage: { type: 'string' },
      'secret-arn': { type: 'string' },
      region: { type: 'string' },
    },
  },
} as const;

/** The AWS clients the command may use, made only when needed (a local token needs none). */
export interface TokenCommandClients {
  readonly secretsManager: (region: string | undefined) => SecretsManagerClient;
  readonly cloudFormation: (region: string | undefined) => CloudFormationClient;
}

/** What the command prints, and how it exits. */
export type TokenCommandResult = CliOutcome;

/**
 * The token `npm run token` prints for its parsed command line: signed with `AUTH_JWT_SECRET` (or
 * the development default), or, with `--stage NAME` or `--secret-arn ARN`, with the deployed
 * stage's signing secret, read through Secrets Manager with the caller's credentials. A stage that
 * verifies OIDC tokens has no secret to read: the failure says which issuer to ask instead.
 */
export const tokenFor = async (
  { values }: CliArgs<typeof TOKEN_COMMAND.config>,
  env: NodeJS.ProcessEnv,
  clients: TokenCommandClients,
): Promise<string> => {
  const projectId = projectIdArg(values.project);
  const actions = actionsArg(values.actions);
  const ttlSeconds = Number(values.ttl);
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new UsageError(`--ttl ${values.ttl} is not a whole number of seconds above 0`);
  }
  const { maxTokenLifetimeSeconds } = readConfig(env);
  if (ttlSeconds > maxTokenLifetimeSeconds) {
    throw new UsageError(
      `--ttl ${ttlSeconds} is over the ${maxTokenLifetimeSeconds} s the service accepts (AUTH_MAX_TOKEN_LIFETIME_SECONDS)`,
    );
  }
  if (values.stage !== undefined && values['secret-arn'] !== undefined) {
    throw new UsageError('--stage and --secret-arn name the same secret: give one');
  }
  const stage = values.stage === undefined ? undefined : stageArg(values.stage);
  const secret = await signingSecret({ ...values, stage }, env, clients);
  return signToken(secret, { projectId, actions, ttlSeconds, subject: values.sub });
};

/** Runs `npm run token` with its arguments, without a process: what it would print and its exit code. */
export const runTokenCommand = (
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  clients: TokenCommandClients,
): Promise<TokenCommandResult> => evaluateCommand(TOKEN_COMMAND, args, (parsed) => tokenFor(parsed, env, clients), env);

/** The secret to sign with: the stage's (read from AWS) or the local one. */
const signingSecret = async (
  values: { readonly stage?: string | undefined; readonly 'secret-arn'?: string; readonly region?: string },
  env: NodeJS.ProcessEnv,
  clients: TokenCommandClients,
): Promise<string> => {
  try {
    if (values['secret-arn'] !== undefined) {
      return await readSecretString(clients.secretsManager(values.region), values['secret-arn']);
    }
    if (values.stage === undefined) return env.AUTH_JWT_SECRET || DEVELOPMENT_JWT_SECRET;
    const stage = await describeDeployedStage(values.stage, clients.cloudFormation(values.region));
    if (stage.auth.kind === 'oidc') {
      throw new CommandFailure(
        `stage ${values.stage} verifies OIDC tokens, so there is no signing secret to read: get a token from ` +
          `the issuer ${stage.auth.issuer} for the audience ${stage.auth.audience} (keys: ${stage.auth.jwksUrl}), ` +
          'with the claims project_id and actions.',
      );
    }
    return await readSecretString(clients.secretsManager(values.region), stage.auth.secretArn);
  } catch (error) {
    throw error instanceof CommandFailure ? error : new CommandFailure((error as Error).message);
  }
};
