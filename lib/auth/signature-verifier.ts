import { createHash } from 'node:crypto';
import { invalidToken } from '#domain/errors.ts';
import type { SecretBox } from '#domain/secret-box.ts';
import { logger } from '#observability/logger.ts';
import type { StoredAccessKey } from '#store/access-keys/access-key-store.ts';
import type { Principal } from './permissions.ts';
import {
  parseSdkDate,
  parseSignatureHeader,
  SIGNATURE_MAX_SKEW_MS,
  type SignedRequest,
  sameSignature,
  signatureOf,
  stringToSign,
} from './request-signature.ts';

/** Turns a request signed with an access key into the caller, or throws 401 `APIG.1002`. */
export type SignatureVerifier = (request: SignedRequest) => Promise<Principal>;

/** How long a container trusts an access key it read: a revoked key stops working within this time. */
export const ACCESS_KEY_CACHE_MS = 30_000;

/** How many access keys a container remembers. */
const ACCESS_KEY_CACHE_CAPACITY = 1000;

/** What the verifier needs. */
export interface SignatureVerifierOptions {
  /** Reads an access key by id (the store's `getAccessKey`). */
  readonly lookup: (accessKey: string) => Promise<StoredAccessKey | undefined>;
  /** Opens sealed secret keys; resolved once, on the first signed request. */
  readonly secretBox: () => Promise<SecretBox>;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default {@link ACCESS_KEY_CACHE_MS} */
  readonly cacheMs?: number;
}

interface Remembered {
  readonly principal: Principal;
  readonly secretKey: string;
  readonly until: number;
}

/**
 * Verifies the vendor SDKs' `SDK-HMAC-SHA256` signature: `X-Sdk-Date` signed and within
 * {@link SIGNATURE_MAX_SKEW_MS} of now, the body matching its hash, the key known, the signature
 * equal (compared in constant time) to the one its secret key gives. A key read from the table is
 * remembered for {@link ACCESS_KEY_CACHE_MS}, so steady traffic costs no read and a revocation
 * applies within that time; an unknown key is never remembered.
 */
export const createSignatureVerifier = ({
  lookup,
  secretBox,
  now = Date.now,
  cacheMs = ACCESS_KEY_CACHE_MS,
}: SignatureVerifierOptions): SignatureVerifier => {
  const remembered = new Map<string, Remembered>();
  const keyFor = async (accessKey: string): Promise<Remembered | undefined> => {
    const hit = remembered.get(accessKey);
    if (hit && hit.until > now()) return hit;
    remembered.delete(accessKey);
    const stored = await lookup(accessKey);
    if (!stored) return undefined;
    const box = await secretBox();
    let secretKey: string;
    try {
      secretKey = box.open(stored.sealedSecret, accessKey);
    } catch (error) {
      // Sealed under another key (a changed sealing key) or damaged: the operator must hear of it,
      // the caller gets the 401 an unknown key gets, never a 500 it could repeat at will.
      logger.error('access key secret does not open', { accessKey, error });
      return undefined;
    }
    const entry: Remembered = {
      principal: { projectId: stored.projectId, actions: stored.actions, subject: `access-key:${accessKey}` },
      secretKey,
      until: now() + cacheMs,
    };
    if (remembered.size >= ACCESS_KEY_CACHE_CAPACITY) remembered.delete(remembered.keys().next().value as string);
    remembered.set(accessKey, entry);
    return entry;
  };

  return async (request) => {
    const header = parseSignatureHeader(request.headers.authorization);
    if (!header) throw invalidToken('malformed SDK-HMAC-SHA256 Authorization header');
    if (!header.signedHeaders.includes('x-sdk-date')) throw invalidToken('x-sdk-date not among the signed headers');
    const date = parseSdkDate(request.headers['x-sdk-date']);
    if (date === undefined) throw invalidToken('malformed X-Sdk-Date');
    if (Math.abs(now() - date) > SIGNATURE_MAX_SKEW_MS) throw invalidToken('X-Sdk-Date more than 15 minutes off');
    const declared = request.headers['x-sdk-content-sha256'];
    if (declared !== undefined && declared !== createHash('sha256').update(request.body).digest('hex'))
      throw invalidToken('body does not match X-Sdk-Content-Sha256');
    const key = await keyFor(header.accessKey);
    if (!key) throw invalidToken('unknown or revoked access key');
    const expected = signatureOf(key.secretKey, stringToSign(request, header.signedHeaders));
    if (!sameSignature(expected, header.signature)) throw invalidToken('bad signature');
    return key.principal;
  };
};
