import SwaggerParser from '@apidevtools/swagger-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { openApiDocument } from '#openapi/openapi-document.ts';
import { createFakeApi } from '../support/fake-api.ts';

// The document route reads nothing stored: a store that answers nothing, and fails the test if reached.
const api = createFakeApi({});
afterEach(() => api.fake.assertComplete());

describe('GET /openapi.json through the route table', () => {
  it('answers the document with no token, relative to the host it is served from, and it validates', async () => {
    const response = await api.call('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toEqual(openApiDocument({ serverUrl: '/' }));
    await expect(SwaggerParser.validate(response.body)).resolves.toMatchObject({ openapi: '3.1.0' });
  });

  it('is the route table of the deployment: 405 for another method, before any token check', async () => {
    const response = await api.call('POST', '/openapi.json', { body: {} });
    expect(response).toMatchObject({ status: 405, headers: { allow: 'GET' }, body: { error_code: 'CQ.4050' } });
  });
});
