/**
 * `npm run -s token -- --project ID [--actions a,b] [--ttl SECONDS] [--sub NAME]
 * [--stage NAME | --secret-arn ARN] [--region REGION]`: prints a token signed with AUTH_JWT_SECRET
 * (the development default when unset), or with a deployed stage's signing secret, read with the
 * caller's AWS credentials.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { runCli } from './cli/cli.ts';
import { TOKEN_COMMAND, tokenFor } from './token/token-command.ts';

await runCli(TOKEN_COMMAND, async (args) => {
  console.log(
    await tokenFor(args, process.env, {
      secretsManager: (region) => new SecretsManagerClient(region ? { region } : {}),
      cloudFormation: (region) => new CloudFormationClient(region ? { region } : {}),
    }),
  );
});
