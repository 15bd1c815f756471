import middy from '@middy/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { invalidParameter } from '#domain/errors.ts';
import type { ApiContext, ApiEvent, ApiResult } from '#http/api-types.ts';
import { errorMapper } from '#http/error-mapper.ts';
import { jsonBody, MAX_BODY_BYTES } from '#http/json-body.ts';
import { lambdaContext, toApiGatewayEvent } from '#local/api-gateway-event.ts';
import { logger } from '#observability/logger.ts';
import { ROUTES, type Route } from '#routing/routes.ts';

const createApp: Route | undefined = ROUTES.find((route) => route.operation === 'createApp');
const showApp: Route | undefined = ROUTES.find((route) => route.operation === 'showApp');

/** A stack of error mapping and body parsing around a handler that echoes the parsed body. */
const bodyStack = (route: Route | undefined = createApp) =>
  middy<ApiEvent, ApiResult, Error, ApiContext>()
    .use(errorMapper())
    .use({
      before: ({ context }) => {
        context.route = route;
      },
    })
    .use(jsonBody())
    .handler(async (event) => ({ statusCode: 200, body: JSON.stringify({ parsed: event.body as unknown }) }));

const send = async (
  body: string | Buffer | undefined,
  contentType: string | null = 'application/json',
  route: Route | undefined = createApp,
) => {
  const { event } = toApiGatewayEvent({
    method: 'POST',
    url: '/',
    body,
    headers: contentType ? { 'content-type': contentType } : {},
  });
  const result = await bodyStack(route)(event, lambdaContext('unit'));
  return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') };
};

const bodyError = { error_code: 'APIG.2012', error_msg: invalidParameter('body').message };

describe('JSON body parsing', () => {
  it('parses a JSON object body', async () => {
    expect(await send('{"name":"app"}')).toEqual({ status: 200, body: { parsed: { name: 'app' } } });
    expect(await send('{"a":1}', 'application/json; charset=utf-8')).toMatchObject({ status: 200 });
  });

  it('refuses malformed JSON, a missing body and a wrong content type with 400 naming body', async () => {
    expect(await send('{"name":')).toEqual({ status: 400, body: bodyError });
    expect(await send(undefined)).toEqual({ status: 400, body: bodyError });
    expect(await send('{"name":"app"}', 'text/plain')).toEqual({ status: 400, body: bodyError });
    expect(await send('{"name":"app"}', null)).toEqual({ status: 400, body: bodyError });
  });

  it('refuses JSON that is not an object', async () => {
    for (const body of ['[]', '"text"', '42', 'null', 'true'])
      expect(await send(body), body).toEqual({ status: 400, body: bodyError });
  });

  it('refuses a body over 64 KiB and accepts one at the limit', async () => {
    const padding = (size: number) => `{"p":"${'x'.repeat(size - 8)}"}`;
    expect(padding(MAX_BODY_BYTES)).toHaveLength(MAX_BODY_BYTES);
    expect(await send(padding(MAX_BODY_BYTES))).toMatchObject({ status: 200 });
    expect(await send(padding(MAX_BODY_BYTES + 1))).toEqual({ status: 400, body: bodyError });
  });

  it('refuses bytes that are not UTF-8 JSON', async () => {
    expect(await send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toEqual({ status: 400, body: bodyError });
  });

  it('refuses the __proto__ key instead of letting it through', async () => {
    expect(await send('{"__proto__":{"polluted":true}}')).toEqual({ status: 400, body: bodyError });
  });

  it('ignores the body of a route that takes none', async () => {
    expect(await send('not json at all', 'text/plain', showApp)).toMatchObject({ status: 200 });
  });
});

describe('error mapping', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers an unexpected error 500 APIG.9999 with no detail, and logs the detail with both request ids', async () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const handler = middy<ApiEvent, ApiResult, Error, ApiContext>()
      .use(errorMapper())
      .handler(async () => {
        throw new Error('connection to 10.0.0.7 refused: internal detail');
      });
    const { event } = toApiGatewayEvent({ method: 'GET', url: '/health' });
    const context = lambdaContext('unit');
    const result = await handler(event, context);
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body ?? '')).toEqual({ error_code: 'APIG.9999', error_msg: 'System error' });
    expect(result.body).not.toContain('10.0.0.7');
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0]?.[1]).toMatchObject({
      awsRequestId: context.awsRequestId,
      apiRequestId: event.requestContext.requestId,
      error: expect.objectContaining({ message: expect.stringContaining('internal detail') }),
    });
  });

  it('answers a domain error with its status, code, message and headers, without logging it as an error', async () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const handler = middy<ApiEvent, ApiResult, Error, ApiContext>()
      .use(errorMapper())
      .handler(async () => {
        throw invalidParameter('limit');
      });
    const { event } = toApiGatewayEvent({ method: 'GET', url: '/health' });
    const result = await handler(event, lambdaContext('unit'));
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body ?? '')).toEqual({
      error_code: 'APIG.2012',
      error_msg: 'Invalid parameter value,parameterName:limit. Please refer to the support documentation',
    });
    expect(logged).not.toHaveBeenCalled();
  });
});
