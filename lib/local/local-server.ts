import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { invalidParameter } from '#domain/errors.ts';
import type { ApiResult } from '#http/api-types.ts';
import type { FunctionHandler } from '#http/function-handler.ts';
import { REQUEST_ID_HEADER } from '#http/request-id.ts';
import { errorResult } from '#http/responses.ts';
import { FUNCTION_NAMES, FUNCTION_TIMEOUT_SECONDS, type FunctionName } from '#routing/route-types.ts';
import { QUOTA_SWEEP_PERIOD_SECONDS } from '#use-cases/finish-quota-deletes.ts';
import { lambdaContext, toApiGatewayEvent } from './api-gateway-event.ts';
import { loadAppQuotasFunction, loadFunction } from './functions.ts';
import { scheduledEvent } from './scheduled-event.ts';
import { startStreamPoller } from './stream-poller.ts';

/** API Gateway's own payload limit; a larger body is refused before any function runs. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

const readBody = (request: IncomingMessage): Promise<Buffer | undefined> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    request.on('end', () => done(size > MAX_PAYLOAD_BYTES ? undefined : Buffer.concat(chunks)));
    request.on('error', fail);
  });

/** What else the local server does besides serving requests. */
export interface LocalServerOptions {
  /**
   * Every how many seconds the app-quotas function gets the scheduled event EventBridge sends it
   * in AWS (the sweep of quota deletes). @default QUOTA_SWEEP_PERIOD_SECONDS
   */
  readonly quotaSweepIntervalSeconds?: number;
  /**
   * Every function's deadline in seconds, as its Lambda timeout is in AWS.
   * @default each function's deployed timeout (`FUNCTION_TIMEOUT_SECONDS`)
   */
  readonly functionTimeoutSeconds?: number | undefined;
  /**
   * The table whose stream the app-quotas function gets, as its event source mapping sends it in
   * AWS (the usage history, the threshold events). @default `DYNAMODB_ENDPOINT` and `TABLE_NAME`
   * when the endpoint is set; none otherwise
   */
  readonly counterStream?: { readonly endpoint: string; readonly tableName: string } | undefined;
}

/** The Lambda context of one invocation of `fn`, its deadline the deployed one unless the options set it. */
const contextFor = (fn: FunctionName, options: LocalServerOptions) =>
  lambdaContext(fn, 1000 * (options.functionTimeoutSeconds ?? FUNCTION_TIMEOUT_SECONDS[fn]));

/**
 * Sends the app-quotas function its scheduled event every `seconds`, as EventBridge does in AWS,
 * one run at a time (a tick that finds the last run still going is skipped). Stops with `server`.
 */
const scheduleQuotaSweep = async (server: Server, seconds: number, options: LocalServerOptions): Promise<void> => {
  const appQuotas = await loadAppQuotasFunction();
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    appQuotas(scheduledEvent(), contextFor('app-quotas', options))
      .catch((error: unknown) => console.error(`quota sweep failed: ${(error as Error).message}`))
      .finally(() => {
        running = false;
      });
  }, seconds * 1000);
  // The server keeps the process alive; the sweep alone must not.
  timer.unref();
  server.once('close', () => clearInterval(timer));
};

/**
 * Hands the app-quotas function the table's stream, read with the DynamoDB Streams API: counter
 * records, filtered and batched as the event source mapping does. Stops with `server`.
 */
const pollCounterStream = async (
  server: Server,
  table: { readonly endpoint: string; readonly tableName: string },
  options: LocalServerOptions,
): Promise<void> => {
  const appQuotas = await loadAppQuotasFunction();
  const poller = await startStreamPoller({
    ...table,
    handler: appQuotas,
    context: () => contextFor('app-quotas', options),
  });
  server.once('close', () => void poller.stop());
};

const counterStreamOf = (options: LocalServerOptions) => {
  if (options.counterStream) return options.counterStream;
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  return endpoint ? { endpoint, tableName: process.env.TABLE_NAME || 'credential-quota' } : undefined;
};

/**
 * Serves the API over HTTP the way API Gateway does: each request becomes the HTTP API event the
 * deployed API would send, and goes to the handler of the function the route table names (the
 * OpenAPI document included, a route like any other). Like the deployment, it also runs the
 * scheduled sweep of quota deletes and hands the table's stream to the app-quotas function.
 */
export const startLocalServer = async (
  port: number,
  host = '127.0.0.1',
  options: LocalServerOptions = {},
): Promise<Server> => {
  const handlers = Object.fromEntries(
    await Promise.all(FUNCTION_NAMES.map(async (fn) => [fn, await loadFunction(fn)] as const)),
  ) as Record<FunctionName, FunctionHandler>;

  const server = createServer(async (request, response) => {
    let result: ApiResult;
    const body = await readBody(request).catch(() => undefined);
    if (body === undefined) {
      result = errorResult(invalidParameter('body'));
    } else {
      const { fn, event } = toApiGatewayEvent({
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: request.headers,
        body,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      });
      result = await handlers[fn](event, contextFor(fn, options));
    }
    // The functions stamp their answers; what the server answers itself gets an id of its own.
    const headers = { [REQUEST_ID_HEADER]: randomUUID(), ...(result.headers as Record<string, string>) };
    response.writeHead(result.statusCode ?? 200, headers);
    response.end(result.body);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => done());
  });
  await scheduleQuotaSweep(server, options.quotaSweepIntervalSeconds ?? QUOTA_SWEEP_PERIOD_SECONDS, options);
  const counterStream = counterStreamOf(options);
  if (counterStream) await pollCounterStream(server, counterStream, options);
  return server;
};
