import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealingBox } from '#auth/sealing.ts';
import { cachedSecretValue, readSecretThroughExtension } from '#auth/secret-value.ts';
import { createSecretBox } from '#domain/secret-box.ts';
import { type SecretsExtension, startSecretsExtension } from '../support/secrets-extension.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AccessKeySealingKey-AbCdEf';
const KEY = 'k'.repeat(64);

let extension: SecretsExtension;
beforeEach(async () => {
  extension = await startSecretsExtension({ [ARN]: KEY });
});
afterEach(() => extension.stop());

describe('secrets read through the Parameters and Secrets Lambda Extension', () => {
  it("answers the secret's string, asked by ARN with the function's session token", async () => {
    await expect(readSecretThroughExtension(ARN)).resolves.toBe(KEY);
    expect(extension.requests).toEqual([ARN]);
  });

  it('throws, naming the secret and the status, when the extension refuses (no session token, unknown secret)', async () => {
    await expect(readSecretThroughExtension(`${ARN}-other`)).rejects.toThrow(
      `secret ${ARN}-other: the secrets extension answered 404`,
    );
    process.env.AWS_SESSION_TOKEN = 'another-role';
    await expect(readSecretThroughExtension(ARN)).rejects.toThrow('answered 400');
  });

  it('reads once per container, and a failed read is tried again on the next call', async () => {
    const value = cachedSecretValue(ARN);
    extension.failWith = 500;
    await expect(value()).rejects.toThrow('answered 500');
    extension.failWith = 0;
    await expect(value()).resolves.toBe(KEY);
    await expect(value()).resolves.toBe(KEY);
    expect(extension.requests).toEqual([ARN, ARN]);
  });

  it('gives the access-key sealing box of the secret read by ARN', async () => {
    const box = await sealingBox({ kind: 'secret-arn', secretArn: ARN })();
    const sealed = box.seal('secret of an access key', 'ak');
    expect(createSecretBox(KEY).open(sealed, 'ak')).toBe('secret of an access key');
  });
});
