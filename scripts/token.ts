/**
 * `npm run -s token -- --project ID [--actions a,b] [--ttl SECONDS] [--sub NAME]
 * [--stage NAME | --secret-arn ARN] [--region REGION]`: prints a token signed with AUTH_JWT_SECRET
 * (the development default when unset), or with a deployed stage's signing secret, read with the
 * caller's AWS credentials.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { runTokenCommand } from './token/token-command.ts';

const result = await runTokenCommand(process.argv.slice(2), process.env, {
  secretsManager: (region) => new SecretsManagerClient(region ? { region } : {}),
  cloudFormation: (region) => new CloudFormationClient(region ? { region } : {}),
});
if (result.stdout) console.log(result.stdout);
if (result.stderr) console.error(result.stderr);
process.exitCode = result.exitCode;
