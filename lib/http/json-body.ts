import type { MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { invalidParameter } from '../domain/errors.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';

/** The largest body the service reads (SPEC §3). */
export const MAX_BODY_BYTES = 64 * 1024;

const parser = httpJsonBodyParser();

const bodyBytes = (event: ApiEvent): number =>
  event.body === undefined ? 0 : Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses the JSON body of routes that take one (POST, PUT) with Middy's parser. Whatever it
 * rejects (wrong content type, malformed JSON, a missing body), a body over {@link MAX_BODY_BYTES}
 * and a body that is not a JSON object are all 400 `APIG.2012` naming `body`. Other methods'
 * bodies are ignored.
 */
export const jsonBody = (): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  name: 'json-body',
  before: async (request) => {
    const method = request.context.route?.method;
    if (method !== 'POST' && method !== 'PUT') return;
    if (bodyBytes(request.event) > MAX_BODY_BYTES) throw invalidParameter('body');
    try {
      await parser.before?.(request as never);
    } catch {
      throw invalidParameter('body');
    }
    if (!isPlainObject(request.event.body)) throw invalidParameter('body');
  },
});
