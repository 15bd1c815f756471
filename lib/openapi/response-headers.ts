import { CLIENT_TOKEN_HEADER } from '#http/client-token.ts';
import { REQUEST_ID_HEADER } from '#http/request-id.ts';
import type { JsonSchema } from './response-schemas.ts';

/** The IETF draft the RateLimit fields follow, named in the document and the README. */
export const RATELIMIT_DRAFT = 'draft-ietf-httpapi-ratelimit-headers-12';

/** `components.headers`: every response header the service sends (besides `Content-Type`). */
export const HEADER_COMPONENTS: Record<string, JsonSchema> = {
  [REQUEST_ID_HEADER]: {
    description: "API Gateway's id of the request, the `apiRequestId` of its log lines; on every answer",
    required: true,
    schema: { type: 'string' },
  },
  [CLIENT_TOKEN_HEADER]: {
    description:
      'The name of the create: the one the request sent, else one the service made. Repeat the request with it to get this answer again, app_secret included',
    required: true,
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
  },
  RateLimit: {
    description: `The quota's state (${RATELIMIT_DRAFT}): a List of one Item, the quota id as a String, with \`r\` (units left in this window) and \`t\` (seconds until it ends), e.g. \`"3b1f...";r=41;t=17\``,
    schema: { type: 'string', pattern: '^"[^"]+";r=\\d+;t=\\d+$' },
  },
  'RateLimit-Policy': {
    description: `The quota's policy (${RATELIMIT_DRAFT}): a List of one Item, the quota id as a String, with \`q\` (units per window: call_limits; a call counts its \`cost\`) and \`w\` (the window in seconds), e.g. \`"3b1f...";q=200;w=180\``,
    schema: { type: 'string', pattern: '^"[^"]+";q=\\d+;w=\\d+$' },
  },
  'Retry-After': {
    description: 'Seconds to wait before the request can succeed (RFC 9110)',
    required: true,
    schema: { type: 'string', pattern: '^\\d+$' },
  },
  Allow: {
    description: 'The methods the path has (RFC 9110)',
    required: true,
    schema: { type: 'string', examples: ['GET, PUT, DELETE'] },
  },
};

const header = (name: string): JsonSchema => ({ $ref: `#/components/headers/${name}` });

/** The headers of an answer: `X-Request-Id` and the given ones. */
export const headersOf = (...extra: Array<readonly [string, JsonSchema]>): Record<string, JsonSchema> => ({
  [REQUEST_ID_HEADER]: header(REQUEST_ID_HEADER),
  ...Object.fromEntries(extra),
});

/** The RateLimit fields, present when a quota applies (always on a 429). */
export const rateLimitHeaders = (required: boolean): Array<readonly [string, JsonSchema]> =>
  ['RateLimit', 'RateLimit-Policy'].map((name) => [
    name,
    required ? { ...(HEADER_COMPONENTS[name] as JsonSchema), required: true } : header(name),
  ]);

/** A header of `components.headers` by reference. */
export const headerEntry = (name: string): readonly [string, JsonSchema] => [name, header(name)];
