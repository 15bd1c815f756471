import { type CryptoKey, createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
// Each class by name, not jose's `errors` namespace, which would bundle every error class it has.
import {
  JOSEAlgNotAllowed,
  JOSEError,
  JWKSInvalid,
  JWKSTimeout,
  JWSSignatureVerificationFailed,
  JWTClaimValidationFailed,
  JWTExpired,
} from 'jose/errors';
import { type AuthConfig, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from '#app/config.ts';
import { invalidToken } from '#domain/errors.ts';
import type { Principal } from './permissions.ts';
import { cachedSecretValue } from './secret-value.ts';
import { VerifiedTokens } from './verified-tokens.ts';

/** Turns the `X-Auth-Token` header value into the caller, or throws 401 `APIG.1002`. */
export type TokenVerifier = (token: string | undefined) => Promise<Principal>;

/** Clock skew allowed on `exp` and `nbf` (SPEC §2: at most 5 seconds). */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** How many verified tokens a container remembers. */
export const VERIFIED_TOKENS_CAPACITY = 1000;

type Key = CryptoKey | JWTVerifyGetKey;

interface KeySource {
  readonly key: () => Promise<Key>;
  readonly algorithms: string[];
  readonly issuer?: string;
  readonly audience?: string;
}

const encoder = new TextEncoder();

/**
 * The HS256 secret as a WebCrypto key, imported once per container. Given the raw bytes, jose
 * imports them again on every verification, which costs more than the HMAC itself (about 0.2 ms a
 * request on a busy 2-core host, measured by `npm run bench`). Not extractable, verify only.
 */
const hmacKey = (secret: Uint8Array): Promise<CryptoKey> =>
  crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);

const secretFromArn = (secretArn: string): (() => Promise<Key>) => {
  const value = cachedSecretValue(secretArn);
  let key: Promise<Key> | undefined;
  return () => {
    key ??= value()
      .then((secret) => hmacKey(encoder.encode(secret)))
      .catch((error: unknown) => {
        key = undefined;
        throw error;
      });
    return key;
  };
};

const hs256KeySource = (config: Exclude<AuthConfig, { kind: 'jwks' }>): KeySource => {
  if (config.kind === 'hs256-secret-arn') return { key: secretFromArn(config.secretArn), algorithms: ['HS256'] };
  const secret = encoder.encode(config.secret);
  let key: Promise<CryptoKey> | undefined;
  return { key: () => (key ??= hmacKey(secret)), algorithms: ['HS256'] };
};

const jwksKeySource = (config: Extract<AuthConfig, { kind: 'jwks' }>): KeySource => {
  const jwks = createRemoteJWKSet(new URL(config.jwksUrl));
  return {
    key: async () => jwks,
    algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
    issuer: config.issuer,
    audience: config.audience,
  };
};

/** The verifiers a bundle may carry: the stack builds each stage's with the one its auth uses. */
export type BundledVerifier = 'hs256' | 'jwks';

const notBundled = (wanted: BundledVerifier): never => {
  throw new Error(
    `this bundle carries the ${process.env.CQ_BUNDLED_VERIFIER} token verifier only, and the environment asks for ${wanted}: deploy the stage with the auth it runs with`,
  );
};

/**
 * The key source of a deployment's auth configuration. `process.env.CQ_BUNDLED_VERIFIER` is
 * replaced by a constant when the stack bundles a function (`bundledVerifierDefine` in
 * lib/infra/quota-function.ts), so esbuild drops the verifier the stage does not use: the JWKS
 * client is 4 KB of the data plane's bundle. Run from source (tests, npm start) it is unset and
 * both are there. Written as conditional expressions, which esbuild folds; code after a `throw`
 * it would keep.
 */
const keySourceOf = (config: AuthConfig): KeySource =>
  config.kind === 'jwks'
    ? process.env.CQ_BUNDLED_VERIFIER === 'hs256'
      ? notBundled('jwks')
      : jwksKeySource(config)
    : process.env.CQ_BUNDLED_VERIFIER === 'jwks'
      ? notBundled('hs256')
      : hs256KeySource(config);

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

const principalOf = (payload: JWTPayload): Principal => {
  const { project_id: projectId, actions, sub } = payload;
  if (typeof projectId !== 'string' || projectId === '') throw invalidToken('claim project_id missing or not a string');
  if (!isStringArray(actions)) throw invalidToken('claim actions missing or not an array of strings');
  return { projectId, actions, subject: sub };
};

/** What a refused token got wrong, in words fit for the log (never the token itself). */
const refusalReason = (error: unknown): string => {
  if (error instanceof JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof JWTExpired) return 'expired';
  if (error instanceof JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof JWTClaimValidationFailed) return `claim ${error.claim} ${error.reason}`;
  if (error instanceof JOSEError) return `malformed (${error.code})`;
  return 'malformed';
};

// The key set being unreachable is our fault, not the caller's: it stays a 500, not a 401.
const isInfrastructureFailure = (error: unknown): boolean =>
  error instanceof JWKSTimeout || error instanceof JWKSInvalid || !(error instanceof JOSEError);

/**
 * Builds the verifier for a deployment's auth configuration: HS256 with a secret (given, or read
 * once from Secrets Manager), or the JWKS of an OIDC issuer with issuer and audience checks. Only
 * the configured algorithms are accepted, so `alg: none` and algorithm confusion fail; `exp` is
 * required, with {@link CLOCK_TOLERANCE_SECONDS} of tolerance. A token that passed is remembered
 * (see {@link VerifiedTokens}): its signature is not checked again, its time is, on every request.
 */
export const createTokenVerifier = (
  config: AuthConfig,
  { maxLifetimeSeconds = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS }: { readonly maxLifetimeSeconds?: number } = {},
): TokenVerifier => {
  const source = keySourceOf(config);
  const options = {
    algorithms: source.algorithms,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp'],
    ...(source.issuer === undefined ? {} : { issuer: source.issuer }),
    ...(source.audience === undefined ? {} : { audience: source.audience }),
  };
  const verified = new VerifiedTokens({
    capacity: VERIFIED_TOKENS_CAPACITY,
    // jose keeps a fetched key set at most 10 minutes: a remembered token ends no later.
    maxAgeMs: 10 * 60_000,
    toleranceSeconds: CLOCK_TOLERANCE_SECONDS,
  });
  return async (token) => {
    if (!token) throw invalidToken('no token');
    const remembered = verified.get(token, Date.now());
    if (remembered) return remembered;
    const key = await source.key();
    let payload: JWTPayload;
    try {
      payload = (
        typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options)
      ).payload;
    } catch (error) {
      if (isInfrastructureFailure(error)) throw error;
      throw invalidToken(refusalReason(error));
    }
    const exp = payload.exp as number;
    const nowSeconds = Date.now() / 1000;
    // A token that never ends cannot be taken back; `exp: 1e308` is no better than none.
    if (exp - nowSeconds > maxLifetimeSeconds + CLOCK_TOLERANCE_SECONDS)
      throw invalidToken('lifetime over the maximum');
    if (typeof payload.iat === 'number' && exp - payload.iat > maxLifetimeSeconds)
      throw invalidToken('lifetime over the maximum');
    const principal = principalOf(payload);
    verified.set(token, principal, exp, payload.nbf, Date.now());
    return principal;
  };
};
