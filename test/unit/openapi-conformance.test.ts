import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#openapi/openapi-document.ts';
import { ROUTES } from '#routing/routes.ts';
import { conformanceChecker } from '../support/openapi-conformance.ts';

// The checker test/integration/openapi-contract.test.ts holds every route's answers with: it must
// refuse what the document does not describe, or that test could not fail.
const check = conformanceChecker(openApiDocument({ serverUrl: '/' }));
const route = (operation: string) => ROUTES.find((r) => r.operation === operation) as (typeof ROUTES)[number];
const instance = {
  instance_id: '0123456789abcdef0123456789abcdef',
  instance_name: 'gateway',
  description: '',
  create_time: '2026-12-01T18:35:59.123Z',
};
const json = { 'content-type': 'application/json', 'x-request-id': 'r-1' };

describe('the OpenAPI conformance checker', () => {
  it('accepts an answer the document describes', () => {
    expect(check(route('showInstance'), { status: 200, headers: json, body: instance })).toEqual([]);
    const refused = { error_code: 'APIG.0308', error_msg: 'The throttling threshold has been reached' };
    const limits = { ratelimit: '"q1";r=0;t=17', 'ratelimit-policy': '"q1";q=5;w=60', 'retry-after': '17' };
    expect(check(route('consume'), { status: 429, headers: { ...json, ...limits }, body: refused })).toEqual([]);
  });

  it('refuses a status, a header, a body field or an error code the document does not describe', () => {
    const ok = { status: 200, headers: json, body: instance };
    expect(check(route('showInstance'), { ...ok, status: 202 })).toEqual(['showInstance 202: status not described']);
    expect(check(route('showInstance'), { ...ok, headers: { ...json, 'x-extra': '1' } })).toEqual([
      'showInstance 200: header x-extra not described',
    ]);
    expect(check(route('showInstance'), { ...ok, body: { ...instance, extra: 1 } })).toHaveLength(1);
    expect(check(route('showInstance'), { ...ok, body: { ...instance, create_time: 1 } })).toHaveLength(1);
    expect(check(route('showInstance'), { ...ok, headers: { 'content-type': 'application/json' } })).toEqual([
      'showInstance 200: required header x-request-id missing',
    ]);
    const notFound = { error_code: 'APIG.3004', error_msg: 'The app does not exist' };
    expect(check(route('showInstance'), { status: 404, headers: json, body: notFound })).toHaveLength(1);
    expect(check(route('deleteApp'), { status: 204, headers: json, body: {} })).toEqual([
      'deleteApp 204: a body the document does not describe',
    ]);
  });

  it('refuses a RateLimit field that does not have the draft’s form', () => {
    const body = { app_id: 'a', app_quota_id: 'q1', limit: 5, remaining: 4, reset_at: '2026-12-01T18:35:59.123Z' };
    const headers = { ...json, ratelimit: 'limit=5, remaining=4', 'ratelimit-policy': '"q1";q=5;w=60' };
    expect(check(route('consume'), { status: 200, headers, body })).toHaveLength(1);
  });
});
