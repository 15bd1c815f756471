import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Encrypts what must be stored but read back in plain text to be used: an access key's secret,
 * which verifying an HMAC signature needs. AES-256-GCM with a random 96-bit nonce per value; the
 * key is kept outside the table (Secrets Manager in AWS, the environment locally), so a copy of
 * the table alone reveals no secret. `context` (the access key id) is authenticated with it, so a
 * ciphertext moved onto another key's item does not decrypt. Format: `v1$<nonce>$<ciphertext+tag>` (base64).
 */
export interface SecretBox {
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
  /**
   * A keyed digest (HMAC-SHA-256, base64url) of `text`: tells two inputs apart without storing
   * anything that would let a copy of the table guess a secret they hold.
   */
  mac(text: string, context: string): string;
}

/** A {@link SecretBox} over a key given as any string (hashed to 256 bits). */
export const createSecretBox = (keyMaterial: string): SecretBox => {
  const key = createHash('sha256').update(keyMaterial, 'utf8').digest();
  // A key of its own for digests, so no value is ever both encrypted and MACed under one key.
  const macKey = createHmac('sha256', key).update('credential-quota mac v1').digest();
  return {
    seal(plain, context) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `v1$${nonce.toString('base64')}$${sealed.toString('base64')}`;
    },
    open(sealed, context) {
      const [version, nonce, body] = sealed.split('$');
      if (version !== 'v1' || !nonce || !body) throw new Error('not a sealed secret');
      const bytes = Buffer.from(body, 'base64');
      if (bytes.length < 16) throw new Error('sealed secret too short');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64'), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
    },
    mac(text, context) {
      return createHmac('sha256', macKey).update(context, 'utf8').update('\0').update(text, 'utf8').digest('base64url');
    },
  };
};
