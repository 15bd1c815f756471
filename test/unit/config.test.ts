import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, readConfig, readSharedConfig } from '#app/config.ts';

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

  it('re-checks refusals every second unless REFUSAL_RECHECK_MS says otherwise (0 to 5000), and refuses to start on anything else', () => {
    expect(readSharedConfig({}).refusalRecheckMs).toBe(1000);
    expect(readSharedConfig({ REFUSAL_RECHECK_MS: '' }).refusalRecheckMs).toBe(1000);
    for (const [value, ms] of [
      ['0', 0],
      ['250', 250],
      ['5000', 5000],
    ] as const)
      expect(readSharedConfig({ REFUSAL_RECHECK_MS: value }).refusalRecheckMs).toBe(ms);
    for (const value of ['5001', '-1', '1.5', '1e3', ' 100', 'soon'])
      expect(() => readSharedConfig({ REFUSAL_RECHECK_MS: value }), value).toThrow(/REFUSAL_RECHECK_MS must be/);
  });
});
