import type { MiddlewareObj } from '@middy/core';
import { invalidParameter } from '#domain/errors.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';

/** The largest body the service reads (SPEC §3). */
export const MAX_BODY_BYTES = 64 * 1024;

// application/json and any application/<type>+json, parameters allowed (what Middy's parser took).
const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json(;|$)/i;

// A key that could reach a prototype if a caller ever merged the body into another object.
const refuseProtoKeys = (key: string, value: unknown): unknown => {
  if (
    key === '__proto__' ||
    (key === 'constructor' && typeof value === 'object' && value && Object.hasOwn(value, 'prototype'))
  )
    throw invalidParameter('body');
  return value;
};

const parsedBody = ({ headers, body, isBase64Encoded }: ApiEvent): unknown => {
  const contentType = headers?.['content-type'] ?? headers?.['Content-Type'];
  if (body === undefined || !contentType || !JSON_CONTENT_TYPE.test(contentType)) throw invalidParameter('body');
  try {
    return JSON.parse(isBase64Encoded ? Buffer.from(body, 'base64').toString() : body, refuseProtoKeys);
  } catch {
    throw invalidParameter('body');
  }
};

const bodyBytes = (event: ApiEvent): number =>
  event.body === undefined ? 0 : Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses the JSON body of routes that take one (POST, PUT). A wrong or missing content type,
 * malformed JSON, a missing body, a `__proto__` key, a body over {@link MAX_BODY_BYTES} and a body
 * that is not a JSON object are all 400 `APIG.2012` naming `body`. Other methods' bodies are
 * ignored. `JSON.parse` does the parsing; Middy's JSON parser did this and no more, for 1 KB of
 * the data plane's bundle (docs/design.md, "A lean data plane").
 */
export const jsonBody = (): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  name: 'json-body',
  before: async (request) => {
    const method = request.context.route?.method;
    if (method !== 'POST' && method !== 'PUT') return;
    if (bodyBytes(request.event) > MAX_BODY_BYTES) throw invalidParameter('body');
    const body = parsedBody(request.event);
    if (!isPlainObject(body)) throw invalidParameter('body');
    request.event.body = body as never;
  },
});
