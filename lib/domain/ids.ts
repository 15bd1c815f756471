import { randomBytes, randomUUID } from 'node:crypto';

/** What an id from a client may look like: 32 hex characters, or the same as a dashed UUID. */
export const ID_PATTERN =
  /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

/** A new service id: 32 lowercase hex characters (a UUIDv4 without dashes). */
export const newId = (): string => randomUUID().replaceAll('-', '');

/**
 * The canonical form of an id given by a client: 32 hex characters or a dashed UUID, compared
 * without dashes and case. Returns `undefined` for anything else.
 */
export const canonicalId = (value: string): string | undefined =>
  ID_PATTERN.test(value) ? value.replaceAll('-', '').toLowerCase() : undefined;

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random credential string (app_key, app_secret) of the given length from letters and digits. */
export const newCredential = (length: number): string => {
  // 248 is the largest multiple of 62 below 256: rejecting bytes above it keeps every character equally likely.
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += KEY_ALPHABET[byte % 62];
    }
  }
  return out;
};
