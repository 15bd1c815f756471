/**
 * The served OpenAPI document as a client generator reads it: openapi-typescript makes types of
 * it, a small openapi-fetch program that reads typed fields of every success body it touches is
 * compiled with tsc (strict) and run against `npm start`.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '#local/free-port.ts';
import { type StartedNpm, startNpm } from '../support/npm-start.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

// A project of its own beside the repository's node_modules, as a client's would be.
const dir = mkdtempSync(join(tmpdir(), 'openapi-client-'));
symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));

// Reads typed fields of every success body it touches: a field the types lack fails the compile.
const PROGRAM = `
import createClient from 'openapi-fetch';
import type { paths } from './api.ts';

const [baseUrl = '', token = ''] = process.argv.slice(2);
const client = createClient<paths>({ baseUrl, headers: { 'X-Auth-Token': token } });
const must = <T>(data: T | undefined, error: unknown): T => {
  if (data === undefined) throw new Error(JSON.stringify(error));
  return data;
};

const project = { project_id: 'demo', product: 'apigw' } as const;
const made = await client.POST('/v2/{project_id}/{product}/instances', {
  params: { path: project },
  body: { instance_name: 'typed_client' },
});
const instance = must(made.data, made.error);
const P = { ...project, instance_id: instance.instance_id };
const created = await client.POST('/v2/{project_id}/{product}/instances/{instance_id}/apps', {
  params: { path: P },
  body: { name: 'typed_app' },
});
const app = must(created.data, created.error);
const quotaAnswer = await client.POST('/v2/{project_id}/{product}/instances/{instance_id}/app-quotas', {
  params: { path: P },
  body: { name: 'typed_quota', call_limits: 3, time_unit: 'MINUTE', time_interval: 1 },
});
const quota = must(quotaAnswer.data, quotaAnswer.error);
const Q = { ...P, app_quota_id: quota.app_quota_id };
const bound = await client.POST('/v2/{project_id}/{product}/instances/{instance_id}/app-quotas/{app_quota_id}/binding-apps', {
  params: { path: Q },
  body: { app_ids: [app.id] },
});
const binding = must(bound.data, bound.error).applies[0];
const listed = await client.GET('/v2/{project_id}/{product}/instances/{instance_id}/app-quotas/{app_quota_id}/bound-apps', {
  params: { path: Q, query: { limit: 10 } },
});
const page = must(listed.data, listed.error);
const consumed = await client.POST('/v2/{project_id}/{product}/instances/{instance_id}/quota-consumptions', {
  params: { path: P },
  body: { app_key: app.app_key },
});
const consumption = must(consumed.data, consumed.error);

const secret: string = app.app_secret;
const limit: number = quota.call_limits;
const boundName: string = page.apps[0]?.app_quota_name ?? '';
const remaining: number | null = consumption.remaining;
console.log(JSON.stringify({
  instanceName: instance.instance_name,
  appKey: app.app_key,
  secretLength: secret.length,
  clientToken: created.response.headers.get('X-Client-Token'),
  timeUnit: quota.time_unit,
  limit,
  boundTime: binding?.bound_time,
  bound: { total: page.total, size: page.size, name: boundName, key: page.apps[0]?.app_key },
  consumed: { appId: consumption.app_id, quota: consumption.app_quota_id, remaining, resetAt: consumption.reset_at },
  rateLimit: consumed.response.headers.get('RateLimit'),
  rateLimitPolicy: consumed.response.headers.get('RateLimit-Policy'),
  requestId: consumed.response.headers.get('X-Request-Id'),
}));
`;

const TSC_ARGS = [
  '--noEmit',
  '--strict',
  '--target',
  'es2022',
  '--module',
  'nodenext',
  '--allowImportingTsExtensions',
  '--skipLibCheck',
  'client.ts',
];

/** Generates `api.ts` from a document with openapi-typescript's CLI. */
const generate = async (document: unknown) => {
  writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
  await run(bin('openapi-typescript'), ['openapi.json', '--output', 'api.ts'], { cwd: dir });
};
const compile = () => run(bin('tsc'), TSC_ARGS, { cwd: dir });

let started: StartedNpm;
let document: Record<string, unknown>;
beforeAll(async () => {
  started = await startNpm({
    ...process.env,
    PORT: String(await freePort()),
    DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
    TABLE_NAME: `openapi-client-${randomUUID()}`,
  });
  document = (await (await fetch(`${started.base}/openapi.json`)).json()) as Record<string, unknown>;
  writeFileSync(join(dir, 'client.ts'), PROGRAM);
}, 120_000);
afterAll(async () => {
  await started?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a client generated from the served OpenAPI document', () => {
  it('compiles with typed success bodies and runs against npm start', async () => {
    await generate(document);
    await compile();
    const { stdout } = await run(process.execPath, ['client.ts', started.base, started.token], { cwd: dir });
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      instanceName: 'typed_client',
      appKey: expect.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
      clientToken: expect.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      timeUnit: 'MINUTE',
      limit: 3,
      boundTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      bound: { total: 1, size: 1, name: 'typed_quota', key: result.appKey },
      consumed: { quota: expect.any(String), remaining: 2, resetAt: expect.any(String) },
      rateLimit: expect.stringMatching(/^"[0-9a-f]{32}";r=2;t=\d+$/),
      rateLimitPolicy: `"${result.consumed.quota}";q=3;w=60`,
      requestId: expect.any(String),
    });
    expect(result.rateLimit.startsWith(`"${result.consumed.quota}";`)).toBe(true);
    expect(result.secretLength).toBeGreaterThanOrEqual(8);
  }, 120_000);

  it('fails the compile when a route’s success body is untyped', async () => {
    const untyped = structuredClone(document) as { paths: Record<string, Record<string, { responses: object }>> };
    const create = untyped.paths['/v2/{project_id}/{product}/instances']?.post?.responses as Record<string, object>;
    create['201'] = { description: 'Success' };
    await generate(untyped);
    // Only create instance lost its type: the compile fails on the fields read of its body.
    const failed = await compile().then(
      () => ({ stdout: '' }),
      (error: { stdout: string }) => error,
    );
    const errors = failed.stdout.trim().split('\n');
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors)
      expect(error).toMatch(/^client\.ts\(\d+,\d+\): error TS\d+: 'instance' is possibly 'undefined'/);
  }, 120_000);
});
