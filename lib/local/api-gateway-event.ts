import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { ApiEvent } from '#http/api-types.ts';
import { routeKey } from '#routing/route-table.ts';
import { FUNCTION_TIMEOUT_SECONDS, type FunctionName } from '#routing/route-types.ts';
import { FALLBACK_FUNCTION, matchRoute } from '#routing/routes.ts';

/** An HTTP request as the local server or a test has it. */
export interface HttpRequest {
  readonly method: string;
  /** Path and query string, e.g. `/v2/demo/apigw/instances?limit=5`. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body?: Buffer | string | undefined;
  readonly sourceIp?: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** API Gateway's `requestContext.time` format: `23/Nov/2026:07:43:11 +0000`. */
const gatewayTime = (date: Date): string =>
  `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;

const bodyOf = (body: Buffer | string | undefined): Pick<ApiEvent, 'body' | 'isBase64Encoded'> => {
  if (body === undefined || body.length === 0) return { isBase64Encoded: false };
  if (typeof body === 'string') return { body, isBase64Encoded: false };
  try {
    return { body: decoder.decode(body), isBase64Encoded: false };
  } catch {
    // Bytes that are not UTF-8 travel base64-encoded, as API Gateway sends binary payloads.
    return { body: body.toString('base64'), isBase64Encoded: true };
  }
};

// API Gateway (payload 2.0) joins repeated query parameters with commas, and so do we.
const queryOf = (search: URLSearchParams): Record<string, string> | undefined => {
  const query: Record<string, string> = {};
  for (const [name, value] of search) query[name] = name in query ? `${query[name]},${value}` : value;
  return Object.keys(query).length > 0 ? query : undefined;
};

const headersOf = (headers: HttpRequest['headers'] = {}): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return out;
};

/**
 * The function API Gateway would invoke for a request, and the event (HTTP API, payload format
 * 2.0) it would send, with the route key of the matched route or `$default` when none matches.
 */
export const toApiGatewayEvent = (request: HttpRequest): { fn: FunctionName; event: ApiEvent } => {
  const url = new URL(request.url, 'http://localhost');
  const method = request.method.toUpperCase();
  const match = matchRoute(method, url.pathname);
  const now = new Date();
  const headers = headersOf(request.headers);
  const query = queryOf(url.searchParams);
  const event: ApiEvent = {
    version: '2.0',
    routeKey: match.kind === 'found' ? routeKey(match.route) : '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    ...(match.kind === 'found' ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: match.kind === 'found' ? routeKey(match.route) : '$default',
      stage: '$default',
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...bodyOf(request.body),
  };
  return { fn: match.kind === 'found' ? match.route.fn : FALLBACK_FUNCTION, event };
};

const deployedTimeoutMs = (functionName: string): number =>
  1000 * ((FUNCTION_TIMEOUT_SECONDS as Readonly<Record<string, number>>)[functionName] ?? 10);

/**
 * A Lambda context for a local invocation of a function, its deadline `timeoutMs` from now: by
 * default the deployed function's timeout (10 s for a function that is not one of ours).
 */
export const lambdaContext = (functionName: string, timeoutMs = deployedTimeoutMs(functionName)): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};
