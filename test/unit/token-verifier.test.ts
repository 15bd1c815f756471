import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier } from '#auth/token-verifier.ts';
import { VerifiedTokens } from '#auth/verified-tokens.ts';
import { ApiError } from '#domain/errors.ts';
import { badTokens, TEST_SECRET, tokenFor } from '../support/tokens.ts';

const verify = createTokenVerifier({ kind: 'hs256-secret', secret: TEST_SECRET });
const secret = new TextEncoder().encode(TEST_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The token with the character at `position` replaced by one whose top bit differs. The last
 * character of a 32-byte signature carries 4 signature bits and 2 padding bits, so swapping it
 * for a neighbour (A for B) can decode to the same bytes; flipping the top bit never does.
 */
const tamperAt = (token: string, position: number): string => {
  const value = BASE64URL.indexOf(token.charAt(position));
  if (value < 0) throw new Error(`no base64url character at ${position}`);
  return `${token.slice(0, position)}${BASE64URL.charAt(value ^ 0b100000)}${token.slice(position + 1)}`;
};

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

describe('token lifetime', () => {
  const lasting = (exp: number, iat?: number) => {
    const jwt = new SignJWT({ project_id: 'demo', actions: ['apig:*'] }).setProtectedHeader({ alg: 'HS256' });
    if (iat !== undefined) jwt.setIssuedAt(iat);
    return jwt.setExpirationTime(exp).sign(secret);
  };

  it('refuses a token meant to live longer than the maximum (24 h by default), from iat or from now', async () => {
    const now = nowSeconds();
    await expect(verify(await lasting(now + 24 * 3600 - 60))).resolves.toMatchObject({ projectId: 'demo' });
    await expect(verify(await lasting(now + 24 * 3600 - 60, now - 30))).resolves.toMatchObject({ projectId: 'demo' });
    await expect(verify(await lasting(now + 25 * 3600))).rejects.toMatchObject({ code: 'APIG.1002' });
    await expect(verify(await lasting(1e308))).rejects.toMatchObject({ code: 'APIG.1002' });
    // Issued 30 h ago for 31 h: an hour left, but a lifetime over the maximum.
    await expect(verify(await lasting(now + 3600, now - 30 * 3600))).rejects.toMatchObject({ code: 'APIG.1002' });
  });

  it('takes the maximum it is given', async () => {
    const short = createTokenVerifier({ kind: 'hs256-secret', secret: TEST_SECRET }, { maxLifetimeSeconds: 600 });
    const now = nowSeconds();
    await expect(short(await lasting(now + 500))).resolves.toMatchObject({ projectId: 'demo' });
    await expect(short(await lasting(now + 700))).rejects.toMatchObject({
      code: 'APIG.1002',
      reason: 'lifetime over the maximum',
    });
  });
});

describe('remembered tokens', () => {
  afterEach(() => vi.useRealTimers());

  it('still refuses a remembered token once it expires (with the 5 s tolerance)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-23T07:00:00Z'));
    const fresh = createTokenVerifier({ kind: 'hs256-secret', secret: TEST_SECRET });
    const token = await new SignJWT({ project_id: 'demo', actions: ['apig:*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + 10)
      .sign(secret);
    await expect(fresh(token)).resolves.toMatchObject({ projectId: 'demo' });
    vi.setSystemTime(new Date('2026-11-23T07:00:14Z'));
    await expect(fresh(token)).resolves.toMatchObject({ projectId: 'demo' });
    vi.setSystemTime(new Date('2026-11-23T07:00:16Z'));
    await expect(fresh(token)).rejects.toMatchObject({ code: 'APIG.1002' });
  });

  it('never remembers a refusal, nor lets a token differing by one character through', async () => {
    const fresh = createTokenVerifier({ kind: 'hs256-secret', secret: TEST_SECRET });
    const good = await tokenFor('demo');
    await expect(fresh(good)).resolves.toMatchObject({ projectId: 'demo' });
    const signatureStart = good.lastIndexOf('.') + 1;
    const tampered = tamperAt(good, signatureStart + 3);
    await expect(fresh(tampered)).rejects.toMatchObject({ code: 'APIG.1002' });
    await expect(fresh(tampered)).rejects.toMatchObject({ code: 'APIG.1002' });
  });

  it('refuses the token with any one character of its signature changed, the last one included', async () => {
    const fresh = createTokenVerifier({ kind: 'hs256-secret', secret: TEST_SECRET });
    const good = await tokenFor('demo');
    await expect(fresh(good)).resolves.toMatchObject({ projectId: 'demo' });
    const signatureStart = good.lastIndexOf('.') + 1;
    expect(good.length - signatureStart).toBe(43);
    for (let position = signatureStart; position < good.length; position += 1) {
      const tampered = tamperAt(good, position);
      expect(tampered).not.toBe(good);
      await expect(fresh(tampered), `signature character ${position - signatureStart}`).rejects.toMatchObject({
        code: 'APIG.1002',
      });
    }
  });
});

describe('VerifiedTokens', () => {
  const principal = { projectId: 'p', actions: ['apig:*'], subject: undefined };

  it('ends entries after their maximum age and before nbf, and keeps at most its capacity', () => {
    const tokens = new VerifiedTokens({ capacity: 2, maxAgeMs: 1000, toleranceSeconds: 5 });
    tokens.set('a', principal, 10_000, undefined, 0);
    expect(tokens.get('a', 999)).toBe(principal);
    expect(tokens.get('a', 1001)).toBeUndefined();
    tokens.set('b', principal, 10_000, 100, 0);
    expect(tokens.get('b', 94_000)).toBeUndefined();
    tokens.set('c', principal, 10_000, undefined, 0);
    tokens.set('d', principal, 10_000, undefined, 0);
    tokens.set('e', principal, 10_000, undefined, 0);
    expect(tokens.get('c', 1)).toBeUndefined();
    expect(tokens.get('e', 1)).toBe(principal);
  });
});

describe('a bundle built for one kind of token', () => {
  afterEach(() => {
    delete process.env.CQ_BUNDLED_VERIFIER;
  });

  const jwks = { kind: 'jwks', jwksUrl: 'https://issuer.example/jwks', issuer: 'i', audience: 'a' } as const;

  it('refuses, at start, an environment asking for the verifier it does not carry, naming both', () => {
    process.env.CQ_BUNDLED_VERIFIER = 'hs256';
    expect(() => createTokenVerifier(jwks)).toThrow(
      'this bundle carries the hs256 token verifier only, and the environment asks for jwks',
    );
    expect(() => createTokenVerifier({ kind: 'hs256-secret', secret: TEST_SECRET })).not.toThrow();
    process.env.CQ_BUNDLED_VERIFIER = 'jwks';
    expect(() => createTokenVerifier({ kind: 'hs256-secret', secret: TEST_SECRET })).toThrow(
      'this bundle carries the jwks token verifier only, and the environment asks for hs256',
    );
    expect(() => createTokenVerifier(jwks)).not.toThrow();
  });
});
