import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createSignatureVerifier } from '#auth/signature-verifier.ts';
import { createSecretBox } from '#domain/secret-box.ts';
import { signedRequestOf } from '#http/authenticate.ts';
import { logger } from '#observability/logger.ts';
import { createAccessKey } from '#use-cases/access-keys.ts';
import { createTestApi, freshProject, type TestApi, testEvent } from '../support/api-client.ts';
import { sdkSign } from '../support/sdk-signer.ts';
import { newAccessKey, SIGNED_HOST, type SignedCall, signedCall } from '../support/signed-client.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { TEST_SEALING_KEY } from '../support/tokens.ts';

let api: TestApi;
let project: string;
let key: Awaited<ReturnType<typeof newAccessKey>>;
let instances: string;

beforeAll(async () => {
  api = await createTestApi();
  project = freshProject();
  key = await newAccessKey(api, project);
  instances = `/v2/${project}/apigw/instances`;
});

const minutes = (n: number) => new Date(Date.now() + n * 60_000);

describe('requests signed with an access key, as the vendor SDKs sign them', () => {
  it('POST with a body, GET with a query of spaces, * and unicode, DELETE', async () => {
    const created = await signedCall(api, key, {
      method: 'POST',
      path: instances,
      body: { instance_name: 'signed_gw' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const apps = `${instances}/${created.body.instance_id}/apps`;
    const app = await signedCall(api, key, { method: 'POST', path: apps, body: { name: 'signed-app', remark: 'a b' } });
    expect(app.status).toBe(201);
    const listed = await signedCall(api, key, {
      method: 'GET',
      path: apps,
      query: { name: 'signed-app', limit: '10', offset: '0' },
    });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ total: 1, apps: [{ name: 'signed-app' }] });
    const odd = await signedCall(api, key, { method: 'GET', path: apps, query: { name: 'a b*ü€😀', limit: '5' } });
    expect(odd.status, JSON.stringify(odd.body)).toBe(200);
    expect(odd.body).toMatchObject({ total: 0 });
    const removed = await signedCall(api, key, { method: 'DELETE', path: `${apps}/${app.body.id}` });
    expect(removed.status).toBe(204);
  });

  it('accepts an X-Sdk-Date up to 15 minutes off either way', async () => {
    for (const date of [minutes(-14), minutes(14)]) {
      const response = await signedCall(api, key, { method: 'GET', path: instances, date });
      expect(response.status, date.toISOString()).toBe(200);
    }
  });

  it('refuses with 401 every bad signature, unknown key, date out of skew or body not matching, logs why, and changes nothing', async () => {
    const unknown = { accessKey: 'UNKNOWNACCESSKEY0000', secretKey: key.secretKey };
    const post = { method: 'POST', path: instances, body: { instance_name: 'never_made' } } as const;
    const cases: Array<[string, SignedCall, typeof key | typeof unknown, string]> = [
      ['no signature at all', { ...post, tamper: ({ Authorization: _, ...rest }) => rest }, key, 'no token'],
      [
        'a malformed Authorization',
        { ...post, tamper: (h) => ({ ...h, Authorization: 'SDK-HMAC-SHA256 nonsense' }) },
        key,
        'malformed SDK-HMAC-SHA256 Authorization header',
      ],
      [
        'a signature one character off',
        {
          ...post,
          tamper: (h) => ({
            ...h,
            Authorization: (h.Authorization ?? '').replace(/.$/, (c) => (c === '0' ? '1' : '0')),
          }),
        },
        key,
        'bad signature',
      ],
      ['another secret key', post, { accessKey: key.accessKey, secretKey: 'x'.repeat(40) }, 'bad signature'],
      ['an unknown access key', post, unknown, 'unknown or revoked access key'],
      ['X-Sdk-Date 16 minutes ago', { ...post, date: minutes(-16) }, key, 'X-Sdk-Date more than 15 minutes off'],
      ['X-Sdk-Date 16 minutes ahead', { ...post, date: minutes(16) }, key, 'X-Sdk-Date more than 15 minutes off'],
      [
        'a malformed X-Sdk-Date',
        { ...post, tamper: (h) => ({ ...h, 'X-Sdk-Date': '2026-12-01T10:00:00Z' }) },
        key,
        'malformed X-Sdk-Date',
      ],
      [
        'a body other than the signed one',
        { ...post, sentBody: JSON.stringify({ instance_name: 'forged_gw' }) },
        key,
        'bad signature',
      ],
      [
        'X-Sdk-Content-Sha256 not matching the body',
        { ...post, headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' } },
        key,
        'body does not match X-Sdk-Content-Sha256',
      ],
      ['a query added after signing', { ...post, sentQuery: 'limit=5' }, key, 'bad signature'],
      [
        'X-Sdk-Date left out of the signed headers',
        { ...post, tamper: (h) => ({ ...h, Authorization: (h.Authorization ?? '').replace(';x-sdk-date', '') }) },
        key,
        'x-sdk-date not among the signed headers',
      ],
    ];
    const before = await tableSnapshot(api.db);
    const warn = vi.spyOn(logger, 'warn');
    for (const [why, call, signer, reason] of cases) {
      warn.mockClear();
      const response = await signedCall(api, signer, call);
      expect(response.status, why).toBe(401);
      expect(response.body, why).toEqual({
        error_code: 'APIG.1002',
        error_msg: 'Incorrect token or token resolution failed',
      });
      expect(
        warn.mock.calls.map(([, fields]) => (fields as { reason?: string }).reason),
        why,
      ).toEqual([reason]);
    }
    warn.mockRestore();
    expect(await tableSnapshot(api.db)).toEqual(before);
  });

  it('answers 401, never a 500, for an access key too long to be a key or a secret sealed under another key', async () => {
    const huge = { accessKey: 'A'.repeat(3000), secretKey: key.secretKey };
    const tooLong = await signedCall(api, huge, { method: 'GET', path: instances });
    expect(tooLong.status).toBe(401);
    // A key sealed with another deployment's sealing key (a changed ACCESS_KEY_SEALING_KEY).
    const foreign = await createAccessKey(api.deps, createSecretBox('another-sealing-key'), {
      projectId: project,
      actions: ['apig:*'],
    });
    const error = vi.spyOn(logger, 'error');
    error.mockClear();
    const sealedElsewhere = await signedCall(api, foreign, { method: 'GET', path: instances });
    expect(sealedElsewhere.status).toBe(401);
    expect(error.mock.calls.map(([message]) => message)).toContain('access key secret does not open');
    error.mockRestore();
  });

  it('stops a revoked key within 30 seconds, and at once in a container that had not seen it', async () => {
    const revoked = await newAccessKey(api, project);
    let now = Date.now();
    const verify = createSignatureVerifier({
      lookup: api.deps.store.getAccessKey,
      secretBox: async () => createSecretBox(TEST_SEALING_KEY),
      now: () => now,
    });
    const request = () => {
      const headers = sdkSign(
        { method: 'GET', host: SIGNED_HOST, path: instances, date: new Date(now) },
        revoked.accessKey,
        revoked.secretKey,
      );
      return signedRequestOf(testEvent('GET', instances, { headers }).event);
    };
    await expect(verify(request())).resolves.toMatchObject({ projectId: project });
    expect(await api.deps.store.revokeAccessKey(project, revoked.accessKey)).toBe(true);
    now += 29_000;
    await expect(verify(request())).resolves.toMatchObject({ projectId: project });
    now += 2_000;
    await expect(verify(request())).rejects.toMatchObject({
      code: 'APIG.1002',
      reason: 'unknown or revoked access key',
    });
    const response = await signedCall(api, revoked, { method: 'GET', path: instances });
    expect(response.status).toBe(401);
  });

  it('keeps the secret key sealed in the table and out of every listing', async () => {
    const snapshot = (await tableSnapshot(api.db)).join('\n');
    expect(snapshot).not.toContain(key.secretKey);
    const [listed] = (await api.deps.store.listAccessKeys(project)).filter((k) => k.accessKey === key.accessKey);
    expect(listed).toMatchObject({ accessKey: key.accessKey, projectId: project, actions: ['apig:*'] });
    expect(JSON.stringify(listed)).not.toContain('sealed');
  });
});
