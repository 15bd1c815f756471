import type { AccessKeySealing } from '#app/config.ts';
import { createSecretBox, type SecretBox } from '#domain/secret-box.ts';
import { cachedSecretValue } from './secret-value.ts';

/** The {@link SecretBox} of a deployment's sealing configuration, read (from Secrets Manager) once. */
export const sealingBox = (sealing: AccessKeySealing): (() => Promise<SecretBox>) => {
  if (sealing.kind === 'key') {
    const box = createSecretBox(sealing.key);
    return async () => box;
  }
  const value = cachedSecretValue(sealing.secretArn);
  return async () => createSecretBox(await value());
};
