import { SignJWT, UnsecuredJWT } from 'jose';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, type ResourceLimits } from '#app/config.ts';
import type { DepsConfig } from '#app/control-plane-deps.ts';
import { signToken } from '#auth/token-issuer.ts';

/** The secret the tests' deployments verify with. */
export const TEST_SECRET = 'test-secret-for-the-credential-quota-suite';

/** The key the tests' deployments seal access keys' secrets with. */
export const TEST_SEALING_KEY = 'test-sealing-key-for-the-credential-quota-suite';

/** The configuration of a test deployment, with the given resource limits. */
export const testDepsConfig = (
  limits: ResourceLimits = { appsPerInstance: 50, quotasPerInstance: 50 },
): DepsConfig => ({
  auth: { kind: 'hs256-secret', secret: TEST_SECRET },
  maxTokenLifetimeSeconds: DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  accessKeySealing: { kind: 'key', key: TEST_SEALING_KEY },
  limits,
});

/** A valid token for a project with the given actions (every action by default). */
export const tokenFor = (projectId: string, actions: readonly string[] = ['apig:*']): Promise<string> =>
  signToken(TEST_SECRET, { projectId, actions, ttlSeconds: 600 });

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Tokens that must all be refused with 401, by what is wrong with them. */
export const badTokens = async (projectId: string): Promise<Record<string, string | undefined>> => {
  const claims = { project_id: projectId, actions: ['apig:*'] };
  const secret = new TextEncoder().encode(TEST_SECRET);
  return {
    missing: undefined,
    empty: '',
    malformed: 'not-a-jwt',
    'alg none': new UnsecuredJWT(claims).setExpirationTime('10m').encode(),
    'wrong signature': await signToken('another-secret-entirely', { projectId, actions: ['apig:*'] }),
    'not configured algorithm HS512': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS512' })
      .setExpirationTime('10m')
      .sign(secret),
    expired: await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(nowSeconds() - 60)
      .sign(secret),
    'without exp': await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secret),
    'without project_id': await new SignJWT({ actions: ['apig:*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(secret),
    'actions not an array': await new SignJWT({ project_id: projectId, actions: 'apig:*' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(secret),
  };
};
