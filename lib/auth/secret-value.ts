import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * A Secrets Manager secret's string, read once per container on first use. A failed read does not
 * poison the warm container: the next call tries again.
 */
export const cachedSecretValue = (secretArn: string): (() => Promise<string>) => {
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= new SecretsManagerClient({})
      .send(new GetSecretValueCommand({ SecretId: secretArn }))
      .then((output) => {
        if (!output.SecretString) throw new Error(`secret ${secretArn} has no SecretString`);
        return output.SecretString;
      })
      .catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
    return cached;
  };
};
