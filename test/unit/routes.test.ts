import { describe, expect, it } from 'vitest';
import { PRODUCTS, routeKey, stripBasePath } from '#routing/route-table.ts';
import { FUNCTION_NAMES } from '#routing/route-types.ts';
import { matchRoute, ROUTES, routeByKey, routesOf } from '#routing/routes.ts';

describe('route table', () => {
  it('has one route per method and path', () => {
    const keys = ROUTES.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives every route to one of the three functions, and each function at least one route', () => {
    for (const fn of FUNCTION_NAMES) expect(routesOf(fn).length).toBeGreaterThan(0);
    expect(ROUTES.every((route) => (FUNCTION_NAMES as readonly string[]).includes(route.fn))).toBe(true);
  });

  it('puts every route under {P}/app-quotas on the app-quotas function (SPEC §8)', () => {
    for (const route of ROUTES) expect(route.path.includes('/app-quotas') === (route.fn === 'app-quotas')).toBe(true);
  });

  it('requires an action on every route but /health and /openapi.json', () => {
    for (const route of ROUTES) expect(route.action === null).toBe(['/health', '/openapi.json'].includes(route.path));
  });
});

describe('route matching', () => {
  it('matches both product segments with the same route and decoded parameters', () => {
    for (const product of PRODUCTS) {
      const match = matchRoute('GET', `/v2/demo/${product}/instances/abc/apps/a%2Db`);
      expect(match).toMatchObject({
        kind: 'found',
        route: { operation: 'showApp' },
        pathParameters: { project_id: 'demo', product, instance_id: 'abc', app_id: 'a-b' },
      });
    }
  });

  it('does not match another product segment', () => {
    expect(matchRoute('GET', '/v2/demo/roma/instances')).toEqual({ kind: 'not-found' });
  });

  it('answers method-not-allowed with the allowed methods for a known path', () => {
    expect(matchRoute('PATCH', '/v2/demo/apigw/instances/abc/app-quotas/q1')).toEqual({
      kind: 'method-not-allowed',
      allowed: ['GET', 'PUT', 'DELETE'],
    });
  });

  it('does not match empty segments, extra segments or a trailing slash', () => {
    expect(matchRoute('GET', '/v2//apigw/instances').kind).toBe('not-found');
    expect(matchRoute('GET', '/v2/demo/apigw/instances/abc/apps/def/extra').kind).toBe('not-found');
    expect(matchRoute('GET', '/health/').kind).toBe('not-found');
  });

  it('keeps a parameter that is not valid percent-encoding as it came', () => {
    expect(matchRoute('GET', '/v2/%E0%A4%A/apigw/instances')).toMatchObject({
      pathParameters: { project_id: '%E0%A4%A' },
    });
  });
});

describe('route keys and base paths', () => {
  it('finds every row by the route key API Gateway sends, and nothing else', () => {
    for (const route of ROUTES) expect(routeByKey(routeKey(route))).toBe(route);
    expect(routeByKey('$default')).toBeUndefined();
    expect(routeByKey('GET /v2/{project_id}/{product}/nothing')).toBeUndefined();
  });

  it("takes a mapping's base path off the front of a path, whole segments only", () => {
    expect(stripBasePath('/v1/v2/demo/apigw/instances', 'v1')).toBe('/v2/demo/apigw/instances');
    expect(stripBasePath('/v1', 'v1')).toBe('/');
    expect(stripBasePath('/v10/health', 'v1')).toBe('/v10/health');
    expect(stripBasePath('/health', 'v1')).toBe('/health');
    expect(stripBasePath('/v1/health', undefined)).toBe('/v1/health');
  });
});
