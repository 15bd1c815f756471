import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '#lib/auth/token-verifier.ts';
import { ApiError } from '#lib/domain/errors.ts';
import { badTokens, TEST_SECRET, tokenFor } from '../support/tokens.ts';

const verify = createTokenVerifier({ kind: 'hs256-secret', secret: TEST_SECRET });
const secret = new TextEncoder().encode(TEST_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);

const expiredBy = (seconds: number) =>
  new SignJWT({ project_id: 'demo', actions: ['apig:*'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(nowSeconds() - seconds)
    .sign(secret);

describe('token verification', () => {
  it('turns a valid HS256 token into its project, actions and subject', async () => {
    const token = await new SignJWT({ project_id: 'demo', actions: ['apig:app:get'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime('5m')
      .sign(secret);
    await expect(verify(token)).resolves.toEqual({ projectId: 'demo', actions: ['apig:app:get'], subject: 'alice' });
  });

  it('refuses every malformed, unsigned, mis-signed, expired or incomplete token with 401 APIG.1002', async () => {
    for (const [why, token] of Object.entries(await badTokens('demo'))) {
      const error = await verify(token).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, why).toBeInstanceOf(ApiError);
      expect((error as ApiError).status, why).toBe(401);
      expect((error as ApiError).code, why).toBe('APIG.1002');
    }
  });

  it('allows at most 5 seconds of clock skew on exp', async () => {
    await expect(verify(await expiredBy(3))).resolves.toMatchObject({ projectId: 'demo' });
    await expect(verify(await expiredBy(30))).rejects.toMatchObject({ code: 'APIG.1002' });
  });

  it('accepts the tokens the test suite issues', async () => {
    await expect(verify(await tokenFor('p1', ['apig:*']))).resolves.toMatchObject({ projectId: 'p1' });
  });
});
