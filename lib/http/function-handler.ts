import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ServiceMetrics } from '#observability/metrics.ts';
import { RouteTable } from '#routing/route-table.ts';
import type { FunctionName } from '#routing/route-types.ts';
import type { OperationOf, Route } from '#routing/routes.ts';
import { withRequestDeadline } from '#store/table/request-scope.ts';
import type { ApiContext, ApiEvent, ApiResult, TypedOperationHandler } from './api-types.ts';
import { authenticate, type Verifiers } from './authenticate.ts';
import { errorMapper } from './error-mapper.ts';
import { jsonBody } from './json-body.ts';
import { logContext } from './log-context.ts';
import { requestIdHeader } from './request-id.ts';
import { requestMetrics } from './request-metrics.ts';
import { toResult } from './responses.ts';
import { routeResolver } from './route-resolver.ts';

/** What the middleware stack itself needs: the verifiers, the base path, the metrics. */
export interface HandlerDeps extends Verifiers {
  /** The custom domain's API mapping key, if the API is served under one. */
  readonly basePath?: string | undefined;
  /** Where the functions' metrics go; none outside Lambda, where nothing reads EMF from stdout. */
  readonly metrics?: ServiceMetrics | undefined;
}

/**
 * The adapters of one function, one per operation the route table gives it, over dependencies `D`,
 * each answering its route's success body (see `OperationResponse`).
 */
export type HandlerSet<F extends FunctionName, D> = { [O in OperationOf<F>]: TypedOperationHandler<O, D> };

/** A function's entry point, as Lambda (and the local server) calls it. */
export type FunctionHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

/**
 * Middy's own early timeout, the last resort: the request's DynamoDB calls end
 * `DEADLINE_MARGIN_MS` before the function's deadline, so their failure is answered first; this
 * answers a request still busy (on CPU) this close to it.
 */
const TIMEOUT_EARLY_MS = 50;

/**
 * Composes a function's Middy stack once: the `X-Request-Id` header, logging context, metrics, error
 * mapping, route resolution (404,
 * 405), authentication (401, 403), JSON body parsing (400), then dispatch to the operation's
 * adapter. The order of the stack is the order of the checks in SPEC §2. `routes` are the rows
 * the function matches requests against (see {@link routeResolver}). The whole request runs under
 * one deadline, the function's own (`withRequestDeadline`): in AWS and locally alike.
 */
export const createFunctionHandler = <F extends FunctionName, D extends HandlerDeps>(
  fn: F,
  handlers: HandlerSet<F, D>,
  deps: D,
  routes: readonly Route[],
): FunctionHandler => {
  const handler = stack(fn, handlers, deps, routes);
  return (event, context) => withRequestDeadline(context.getRemainingTimeInMillis(), () => handler(event, context));
};

const stack = <F extends FunctionName, D extends HandlerDeps>(
  fn: F,
  handlers: HandlerSet<F, D>,
  deps: D,
  routes: readonly Route[],
) =>
  middy<ApiEvent, ApiResult, Error, ApiContext>({ timeoutEarlyInMillis: TIMEOUT_EARLY_MS })
    .use(requestIdHeader())
    .use(logContext())
    .use(requestMetrics(fn, deps.metrics))
    .use(errorMapper())
    .use(routeResolver(fn, new RouteTable(routes), deps.basePath))
    .use(authenticate(deps))
    .use(jsonBody())
    .handler(async (event, context) => {
      const operation = context.route?.operation as OperationOf<F>;
      const response = await handlers[operation](
        {
          pathParameters: context.pathParameters ?? {},
          query: event.queryStringParameters ?? {},
          body: event.body,
          principal: context.principal,
          headers: event.headers ?? {},
        },
        deps,
      );
      return toResult(response);
    });
