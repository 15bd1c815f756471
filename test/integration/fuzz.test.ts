import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '#routing/routes.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { tokenFor } from '../support/tokens.ts';

/** Fixed, so CI is deterministic; set FUZZ_SEED to explore other inputs locally. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

let api: TestApi;
let fixture: Awaited<ReturnType<typeof newInstance>> & { appId: string; appKey: string; quotaId: string };
beforeAll(async () => {
  api = await createTestApi();
  const instance = await newInstance(api);
  const app = (await instance.call('POST', '/apps', { name: 'fuzzed-app' })).body;
  const quotaId = await instance.createQuota('fuzzed_quota', { call_limits: 1000 });
  await instance.bind(quotaId, [app.id]);
  fixture = { ...instance, appId: app.id, appKey: app.app_key, quotaId };
});

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', 'null', 'NaN', '-0', '1e309', '%00', '..', '<script>', '\u0000', '\ud800', 'a'.repeat(3000)),
);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2147483647, 2147483648, Number.MAX_SAFE_INTEGER, 1e300, -1e300, 0.5),
);
const jsonLeaf = fc.oneof(text, number, fc.boolean(), fc.constant(null));

/** A path segment percent-encoded, or raw when it cannot be (a lone surrogate): both reach servers. */
const encodeOrRaw = (value: string): string => {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
};

const segment = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(fixture.instanceId, fixture.appId, fixture.quotaId) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/) },
    { weight: 2, arbitrary: text.map(encodeOrRaw) },
  );

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

/**
 * A method and path: mostly a route of the table with its own method, real or hostile segments,
 * sometimes another method or product, sometimes any path at all.
 */
const target = (): fc.Arbitrary<{ method: string; path: string }> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...ROUTES),
          fc.oneof(
            { weight: 6, arbitrary: fc.constant(undefined) },
            { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
          ),
          fc.oneof(
            { weight: 8, arbitrary: fc.constantFrom('apigw', 'apic') },
            { weight: 1, arbitrary: fc.constant('other') },
          ),
          fc.oneof({ weight: 8, arbitrary: fc.constant(fixture.project) }, { weight: 1, arbitrary: segment() }),
          fc.oneof({ weight: 6, arbitrary: fc.constant(fixture.instanceId) }, { weight: 1, arbitrary: segment() }),
          segment(),
          segment(),
        )
        .map(([route, method, product, project, instance, app, quota]) => ({
          method: method ?? route.method,
          path: route.path
            .replace('{project_id}', project)
            .replace('{product}', product)
            .replace('{instance_id}', instance)
            .replace('{app_id}', app)
            .replace('{app_quota_id}', quota),
        })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...METHODS), fc.array(segment(), { maxLength: 8 }))
        .map(([method, parts]) => ({ method, path: `/${parts.join('/')}` })),
    },
  );

const query = fc
  .dictionary(
    fc.constantFrom('offset', 'limit', 'name', 'app_name', 'x', '__proto__'),
    fc.oneof(text, number.map(String)),
    {
      maxKeys: 4,
    },
  )
  .map((params) => new URLSearchParams(params).toString());

const FIELDS = [
  'name',
  'instance_name',
  'description',
  'remark',
  'app_key',
  'app_secret',
  'call_limits',
  'time_unit',
  'time_interval',
  'reset_time',
  'app_ids',
  'cost',
] as const;

/** Bodies: JSON of the routes' own fields with wrong values, any JSON, huge, deep, or not UTF-8 at all. */
const body = (): fc.Arbitrary<string | Buffer | undefined> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 6,
      arbitrary: fc
        .dictionary(
          fc.constantFrom(...FIELDS),
          fc.oneof(
            jsonLeaf,
            fc.array(fc.oneof(jsonLeaf, fc.constantFrom(fixture.appId, fixture.appKey)), { maxLength: 120 }),
            fc.jsonValue({ maxDepth: 3 }),
            fc.constantFrom('SECOND', 'DAY', '2026-11-23 07:00:00', fixture.appKey),
          ),
          { maxKeys: 6 },
        )
        .map((fields) => JSON.stringify(fields)),
    },
    { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 1, arbitrary: text },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        `{"name":"${'x'.repeat(1024 * 1024)}"}`,
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        `{"app_ids":[${Array.from({ length: 5000 }, () => `"${'a'.repeat(32)}"`).join(',')}]}`,
        '{"call_limits": 1e999999}',
        '{"name": "dup", "name": "dup2"}',
      ),
    },
  );

const request = () =>
  fc.record({
    target: target(),
    query,
    contentType: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'APPLICATION/JSON',
      undefined,
    ),
    goodToken: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    body: body(),
  });

describe('fuzz: every route, hostile input', () => {
  it('never answers 5xx, always answers errors in the APIG envelope, and a rejected request changes nothing', async () => {
    const token = await tokenFor(fixture.project);
    let tried = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request(), async (req) => {
        tried += 1;
        const before = await tableSnapshot(api.db);
        const { method, path } = req.target;
        const response = await api.call(method, `${path}${req.query ? `?${req.query}` : ''}`, {
          token: req.goodToken ? token : 'x.y.z',
          body: req.body,
          headers: req.contentType ? { 'content-type': req.contentType } : {},
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          expect(typeof response.body?.error_code).toBe('string');
          expect(typeof response.body?.error_msg).toBe('string');
          expect(await tableSnapshot(api.db)).toEqual(before);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(
      `fuzz: ${tried} requests tried (seed ${SEED}); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    expect(tried).toBe(RUNS);
  });
});
