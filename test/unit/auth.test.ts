import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '#observability/logger.ts';
import { ROUTES } from '#routing/routes.ts';
import { freshProject, testEvent, testResponse } from '../support/api-client.ts';
import { createFakeApi, EMPTY_STORE, type FakeApi } from '../support/fake-api.ts';
import { badTokens, tokenFor } from '../support/tokens.ts';

const ID = 'c900c5612dbe451bb43cbcc49cfaf2f3';

/** A concrete URL for a route template, with well-formed ids. */
const urlOf = (path: string, project: string, product = 'apigw') =>
  path
    .replace('{project_id}', project)
    .replace('{product}', product)
    .replace(/\{(instance_id|app_id|app_quota_id)\}/g, ID);

const tokenRoutes = ROUTES.filter((route) => route.action !== null);

// No check here depends on stored data: the store holds nothing, and a test that reaches a
// method it does not answer fails.
let api: FakeApi;
let project: string;
beforeAll(() => {
  api = createFakeApi(EMPTY_STORE);
  project = freshProject();
});
afterEach(() => api.fake.assertComplete());

describe('authentication (401 APIG.1002)', () => {
  it('refuses a missing, malformed, unsigned (alg none), mis-signed, expired or incomplete token on every route', async () => {
    const tokens = await badTokens(project);
    const before = api.fake.calls.length;
    for (const route of tokenRoutes) {
      for (const [why, token] of Object.entries(tokens)) {
        const response = await api.call(route.method, urlOf(route.path, project), { token, body: {} });
        expect(response.status, `${route.operation}: ${why}`).toBe(401);
        expect(response.body, `${route.operation}: ${why}`).toEqual({
          error_code: 'APIG.1002',
          error_msg: 'Incorrect token or token resolution failed',
        });
      }
    }
    // Refused before the store was reached, so nothing in it can have changed.
    expect(api.fake.calls.slice(before)).toEqual([]);
  });
});

describe('permission (403 APIG.1005)', () => {
  it('refuses a valid token for another project on every route', async () => {
    const token = await tokenFor('someone-else');
    for (const route of tokenRoutes) {
      const response = await api.call(route.method, urlOf(route.path, project), { token, body: {} });
      expect(response.status, route.operation).toBe(403);
      expect(response.body, route.operation).toEqual({
        error_code: 'APIG.1005',
        error_msg: 'No permissions to request this method',
      });
    }
  });

  it("refuses a token that lacks the route's action, and admits one that has exactly it", async () => {
    for (const route of tokenRoutes) {
      const others = tokenRoutes.map((r) => r.action).filter((action) => action !== route.action);
      const without = await api.call(route.method, urlOf(route.path, project), {
        token: await tokenFor(project, others),
        body: {},
      });
      expect(without.status, route.operation).toBe(403);
      const withIt = await api.call(route.method, urlOf(route.path, project), {
        token: await tokenFor(project, [route.action]),
        body: {},
      });
      expect(withIt.status, route.operation).not.toBe(403);
      expect(withIt.status, route.operation).not.toBe(401);
    }
  });

  it('accepts wildcard grants', async () => {
    const response = await api.call('GET', `/v2/${project}/apigw/instances`, {
      token: await tokenFor(project, ['apig:instance:*']),
    });
    expect(response.status).toBe(200);
  });
});

describe('order of checks', () => {
  it('checks the token (401) before the project (403) before validation (400) before existence (404)', async () => {
    const bad = `/v2/${project}/apigw/instances/not-an-id/apps`;
    expect((await api.call('POST', bad, { token: 'garbage', body: { name: 1 } })).status).toBe(401);
    expect((await api.call('POST', bad, { token: await tokenFor('other'), body: { name: 1 } })).status).toBe(403);
    expect(
      (await api.call('POST', bad, { token: await tokenFor(project, ['apig:app:list']), body: { name: 1 } })).status,
    ).toBe(403);
    const invalid = await api.call('POST', bad, { token: await tokenFor(project), body: { name: 1 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error_msg).toContain('parameterName:instance_id');
    const missing = await api.call('POST', urlOf('/v2/{project_id}/{product}/instances/{instance_id}/apps', project), {
      token: await tokenFor(project),
      body: { name: 'valid-name' },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('APIG.3030');
  });

  it('answers an unknown path 404 and an unknown method 405 before any token check', async () => {
    const unknown = await api.call('GET', `/v2/${project}/apigw/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      error_code: 'APIG.0101',
      error_msg: 'The API does not exist or has not been published in the environment',
    });
    expect((await api.call('GET', `/v2/${project}/roma/instances`)).status).toBe(404);
    const wrongMethod = await api.call('PATCH', `/v2/${project}/apigw/instances`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error_code).toBe('CQ.4050');
    expect(wrongMethod.headers.allow).toBe('POST, GET');
  });

  it('serves /health without a token', async () => {
    expect(await api.call('GET', '/health')).toMatchObject({ status: 200, body: { status: 'UP' } });
  });
});

describe('the log line of a refused request says why (the body never does)', () => {
  afterEach(() => vi.restoreAllMocks());

  const refusalLogged = async (url: string, token: string | undefined) => {
    const warn = vi.spyOn(logger, 'warn');
    warn.mockClear();
    const { fn, event } = testEvent('GET', url, { token });
    const response = testResponse(await api.invoke(fn, event));
    const lines = warn.mock.calls.filter(([message]) => message === 'request refused');
    expect(lines).toHaveLength(1);
    const fields = lines[0]?.[1] as Record<string, unknown>;
    expect(fields.apiRequestId).toBe(event.requestContext.requestId);
    expect(fields.status).toBe(response.status);
    expect(fields.errorCode).toBe(response.body.error_code);
    expect(JSON.stringify(response.body)).not.toContain(String(fields.reason));
    return { status: response.status, reason: fields.reason };
  };

  it('401: no token, malformed, bad signature, alg none, expired, a missing claim', async () => {
    const url = `/v2/${project}/apigw/instances`;
    const tokens = await badTokens(project);
    const cases: Array<[string, string | undefined, string]> = [
      ['missing', tokens.missing, 'no token'],
      ['malformed', tokens.malformed, 'malformed (ERR_JWS_INVALID)'],
      ['wrong signature', tokens['wrong signature'], 'bad signature'],
      ['alg none', tokens['alg none'], 'algorithm not allowed'],
      ['HS512', tokens['not configured algorithm HS512'], 'algorithm not allowed'],
      ['expired', tokens.expired, 'expired'],
      ['without exp', tokens['without exp'], 'claim exp missing'],
      ['without project_id', tokens['without project_id'], 'claim project_id missing or not a string'],
      ['actions not an array', tokens['actions not an array'], 'claim actions missing or not an array of strings'],
    ];
    for (const [why, token, reason] of cases)
      expect(await refusalLogged(url, token), why).toEqual({ status: 401, reason });
  });

  it('403: another project, and the action that was missing', async () => {
    const url = `/v2/${project}/apigw/instances`;
    expect(await refusalLogged(url, await tokenFor('someone-else'))).toEqual({
      status: 403,
      reason: `caller of project someone-else, request for project ${project}`,
    });
    expect(await refusalLogged(url, await tokenFor(project, ['apig:app:*']))).toEqual({
      status: 403,
      reason: 'caller lacks action apig:instance:list',
    });
  });
});

describe('X-Request-Id', () => {
  it("is on every response, answer or error, and is the request id of the request's log line", async () => {
    const warn = vi.spyOn(logger, 'warn');
    const cases: Array<[string, string, string | undefined, number]> = [
      ['GET', `/v2/${project}/apigw/instances`, await tokenFor(project), 200],
      ['GET', `/v2/${project}/apigw/instances`, undefined, 401],
      ['POST', `/v2/${project}/apigw/instances`, await tokenFor(project), 400],
      ['GET', `/v2/${project}/apigw/nowhere`, undefined, 404],
      ['GET', '/health', undefined, 200],
    ];
    for (const [method, url, token, status] of cases) {
      warn.mockClear();
      const { fn, event } = testEvent(method, url, { token, body: method === 'POST' ? '[]' : undefined });
      const response = testResponse(await api.invoke(fn, event));
      expect(response.status, url).toBe(status);
      expect(response.headers['x-request-id'], url).toBe(event.requestContext.requestId);
      if (status === 401)
        expect(warn.mock.calls[0]?.[1]).toMatchObject({ apiRequestId: event.requestContext.requestId });
    }
    warn.mockRestore();
  });
});
