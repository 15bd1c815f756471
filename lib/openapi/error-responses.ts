import { CLIENT_TOKEN_HEADER } from '#http/client-token.ts';
import { UNKNOWN_OUTCOME_ADVICE } from '#http/unknown-outcomes.ts';
import type { Operation, Route } from '#routing/routes.ts';
import { headerEntry, headersOf, rateLimitHeaders } from './response-headers.ts';
import type { JsonSchema } from './response-schemas.ts';

/** One error status of a route: what it means, the `error_code`s it carries, its own headers. */
interface ErrorStatus {
  readonly description: string;
  readonly codes: readonly string[];
  readonly headers?: Array<readonly [string, JsonSchema]>;
}

// Codes a route answers beyond those every route with a token answers, by status (lib/domain/errors.ts).
const OWN_CODES: Partial<Record<Operation, Partial<Record<number, readonly string[]>>>> = {
  createInstance: { 403: ['APIG.3100'] },
  createApp: { 400: ['CQ.4001', 'CQ.4002'], 403: ['APIG.3100'] },
  updateApp: { 400: ['CQ.4001'] },
  createQuota: { 400: ['APIG.3325'], 403: ['APIG.3100'] },
  updateQuota: { 400: ['APIG.3325'] },
  bindApps: { 400: ['CQ.4003'], 404: ['APIG.3004'] },
  unbindApp: { 404: ['APIG.3004'] },
  showAppQuota: { 404: ['APIG.3093'] },
  consume: { 404: ['APIG.3004'] },
  deleteInstance: { 400: ['CQ.4004'] },
};

// The 404 of each path parameter that names a stored thing.
const NOT_FOUND: Readonly<Record<string, string>> = {
  instance_id: 'APIG.3030',
  app_id: 'APIG.3004',
  app_quota_id: 'APIG.3093',
};

const BUSY = 'DynamoDB busy past retries or the deadline, nothing written (CQ.5030)';

// What a 503 of each route means: the creates have answers of their own; every other route that
// writes answers CQ.5032 with the advice the error mapper gives when a write may have landed.
const unavailable = (operation: Operation): ErrorStatus => {
  if (operation === 'createApp')
    return {
      description: `DynamoDB failed past retries or the deadline: the outcome is unknown, repeat the request with the ${CLIENT_TOKEN_HEADER} of this answer (CQ.5031)`,
      codes: ['CQ.5031'],
      headers: [headerEntry('Retry-After'), headerEntry(CLIENT_TOKEN_HEADER)],
    };
  const advice =
    operation === 'createInstance' || operation === 'createQuota'
      ? 'list by name before creating it again'
      : UNKNOWN_OUTCOME_ADVICE[operation];
  return advice === undefined
    ? { description: BUSY, codes: ['CQ.5030'], headers: [headerEntry('Retry-After')] }
    : {
        description: `${BUSY}, or the outcome is unknown: ${advice} (CQ.5032)`,
        codes: ['CQ.5030', 'CQ.5032'],
        headers: [headerEntry('Retry-After')],
      };
};

/** Every error status a route can answer, with its codes (the order of SPEC §2's checks). */
export const errorStatuses = (route: Route): Record<number, ErrorStatus> => {
  const methodNotAllowed: ErrorStatus = {
    description: 'The path has no such method (CQ.4050); `Allow` lists those it has',
    codes: ['CQ.4050'],
    headers: [headerEntry('Allow')],
  };
  if (route.action === null) return { 405: methodNotAllowed };
  const own = OWN_CODES[route.operation] ?? {};
  const notFound = [
    ...Object.entries(NOT_FOUND)
      .filter(([name]) => route.path.includes(`{${name}}`))
      .map(([, code]) => code),
    ...(own[404] ?? []),
  ];
  const statuses: Record<number, ErrorStatus> = {
    400: {
      description: 'A parameter, header or body field the service cannot accept (APIG.2012), or a rule of the resource',
      codes: ['APIG.2012', ...(own[400] ?? [])],
    },
    401: { description: 'No valid token or signature (APIG.1002)', codes: ['APIG.1002'] },
    403: {
      description: 'Another project, an action not granted (APIG.1005), or a resource limit (APIG.3100)',
      codes: ['APIG.1005', ...(own[403] ?? [])],
    },
  };
  if (notFound.length > 0)
    statuses[404] = { description: 'The instance, app or quota does not exist', codes: [...new Set(notFound)] };
  statuses[405] = methodNotAllowed;
  if (route.operation === 'createApp') {
    statuses[409] = {
      description: `The app created under this ${CLIENT_TOKEN_HEADER} was deleted or given a new secret since (CQ.4090)`,
      codes: ['CQ.4090'],
    };
    statuses[422] = {
      description: `The ${CLIENT_TOKEN_HEADER} was already used for a different request (CQ.4220)`,
      codes: ['CQ.4220'],
    };
  }
  if (route.operation === 'consume')
    statuses[429] = {
      description: 'The quota has fewer units left in this window than the call costs (APIG.0308)',
      codes: ['APIG.0308'],
      headers: [headerEntry('Retry-After'), ...rateLimitHeaders(true)],
    };
  statuses[500] = { description: 'System error (APIG.9999)', codes: ['APIG.9999'] };
  statuses[503] = unavailable(route.operation);
  return statuses;
};

/** The OpenAPI responses of a route's errors: the envelope with the status's codes, and its headers. */
export const errorResponses = (route: Route): Record<string, JsonSchema> =>
  Object.fromEntries(
    Object.entries(errorStatuses(route)).map(([status, { description, codes, headers = [] }]) => [
      status,
      {
        description,
        headers: headersOf(...headers),
        content: {
          'application/json': {
            schema: {
              allOf: [
                { $ref: '#/components/schemas/Error' },
                { type: 'object', properties: { error_code: { type: 'string', enum: codes } } },
              ],
            },
          },
        },
      },
    ]),
  );
