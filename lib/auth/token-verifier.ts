import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { AuthConfig } from '../config.ts';
import { invalidToken } from '../domain/errors.ts';
import type { Principal } from './permissions.ts';

/** Turns the `X-Auth-Token` header value into the caller, or throws 401 `APIG.1002`. */
export type TokenVerifier = (token: string | undefined) => Promise<Principal>;

/** Clock skew allowed on `exp` and `nbf` (SPEC §2: at most 5 seconds). */
export const CLOCK_TOLERANCE_SECONDS = 5;

type Key = Uint8Array | JWTVerifyGetKey;

interface KeySource {
  readonly key: () => Promise<Key>;
  readonly algorithms: string[];
  readonly issuer?: string;
  readonly audience?: string;
}

const encoder = new TextEncoder();

const secretFromArn = (secretArn: string): (() => Promise<Key>) => {
  let cached: Promise<Key> | undefined;
  return () => {
    cached ??= new SecretsManagerClient({})
      .send(new GetSecretValueCommand({ SecretId: secretArn }))
      .then((output) => {
        if (!output.SecretString) throw new Error(`secret ${secretArn} has no SecretString`);
        return encoder.encode(output.SecretString);
      })
      .catch((error: unknown) => {
        // A failed fetch must not poison the warm container: the next request tries again.
        cached = undefined;
        throw error;
      });
    return cached;
  };
};

const keySourceOf = (config: AuthConfig): KeySource => {
  switch (config.kind) {
    case 'hs256-secret': {
      const secret = encoder.encode(config.secret);
      return { key: async () => secret, algorithms: ['HS256'] };
    }
    case 'hs256-secret-arn':
      return { key: secretFromArn(config.secretArn), algorithms: ['HS256'] };
    case 'jwks': {
      const jwks = createRemoteJWKSet(new URL(config.jwksUrl));
      return {
        key: async () => jwks,
        algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
        issuer: config.issuer,
        audience: config.audience,
      };
    }
  }
};

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

const principalOf = (payload: JWTPayload): Principal => {
  const { project_id: projectId, actions, sub } = payload;
  if (typeof projectId !== 'string' || projectId === '' || !isStringArray(actions)) throw invalidToken();
  return { projectId, actions, subject: sub };
};

// The key set being unreachable is our fault, not the caller's: it stays a 500, not a 401.
const isInfrastructureFailure = (error: unknown): boolean =>
  error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError);

/**
 * Builds the verifier for a deployment's auth configuration: HS256 with a secret (given, or read
 * once from Secrets Manager), or the JWKS of an OIDC issuer with issuer and audience checks. Only
 * the configured algorithms are accepted, so `alg: none` and algorithm confusion fail; `exp` is
 * required, with {@link CLOCK_TOLERANCE_SECONDS} of tolerance.
 */
export const createTokenVerifier = (config: AuthConfig): TokenVerifier => {
  const source = keySourceOf(config);
  const options = {
    algorithms: source.algorithms,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp'],
    ...(source.issuer ? { issuer: source.issuer } : {}),
    ...(source.audience ? { audience: source.audience } : {}),
  };
  return async (token) => {
    if (!token) throw invalidToken();
    const key = await source.key();
    let payload: JWTPayload;
    try {
      payload = (
        key instanceof Uint8Array ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options)
      ).payload;
    } catch (error) {
      if (isInfrastructureFailure(error)) throw error;
      throw invalidToken();
    }
    return principalOf(payload);
  };
};
