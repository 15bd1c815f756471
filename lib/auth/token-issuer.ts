import { SignJWT } from 'jose';

/** What a development or test token says. */
export interface TokenClaims {
  readonly projectId: string;
  readonly actions: readonly string[];
  readonly ttlSeconds?: number;
  readonly subject?: string;
}

/**
 * Signs an HS256 token the way a deployment's identity provider would: `project_id`, `actions`,
 * `iat`, `exp` and optionally `sub`. Used by `npm run token`, `npm start` and the tests.
 */
export const signToken = async (secret: string, claims: TokenClaims): Promise<string> => {
  const jwt = new SignJWT({ project_id: claims.projectId, actions: [...claims.actions] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`);
  if (claims.subject) jwt.setSubject(claims.subject);
  return jwt.sign(new TextEncoder().encode(secret));
};
