import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, readConfig } from '#app/config.ts';

describe('configuration from the environment', () => {
  const jwks = { AUTH_JWKS_URL: 'https://issuer.example/.well-known/jwks.json' };

  it('refuses JWKS mode without an issuer or an audience, however empty they are', () => {
    for (const env of [
      { ...jwks },
      { ...jwks, AUTH_ISSUER: 'https://issuer.example/' },
      { ...jwks, AUTH_AUDIENCE: 'credential-quota' },
      { ...jwks, AUTH_ISSUER: '', AUTH_AUDIENCE: 'credential-quota' },
      { ...jwks, AUTH_ISSUER: 'https://issuer.example/', AUTH_AUDIENCE: '' },
    ])
      expect(() => readConfig(env), JSON.stringify(env)).toThrow(/AUTH_ISSUER and AUTH_AUDIENCE/);
  });

  it('takes JWKS mode with both checks', () => {
    const env = { ...jwks, AUTH_ISSUER: 'https://issuer.example/', AUTH_AUDIENCE: 'credential-quota' };
    expect(readConfig(env).auth).toEqual({
      kind: 'jwks',
      jwksUrl: jwks.AUTH_JWKS_URL,
      issuer: 'https://issuer.example/',
      audience: 'credential-quota',
    });
  });

  it('caps token lifetimes at 24 h unless AUTH_MAX_TOKEN_LIFETIME_SECONDS says otherwise', () => {
    expect(readConfig({}).maxTokenLifetimeSeconds).toBe(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS);
    expect(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS).toBe(86_400);
    expect(readConfig({ AUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600' }).maxTokenLifetimeSeconds).toBe(3600);
  });
});
