import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { FunctionDeps } from '../deps.ts';
import { logger } from '../logger.ts';
import type { FunctionName, OperationOf } from '../routes.ts';
import type { ApiContext, ApiEvent, ApiResult, OperationHandler } from './api-types.ts';
import { authenticate } from './authenticate.ts';
import { errorMapper } from './error-mapper.ts';
import { jsonBody } from './json-body.ts';
import { requestIdHeader } from './request-id.ts';
import { requestMetrics } from './request-metrics.ts';
import { toResult } from './responses.ts';
import { routeResolver } from './route-resolver.ts';

/** The adapters of one function, one per operation the route table gives it. */
export type HandlerSet<F extends FunctionName> = Record<OperationOf<F>, OperationHandler<FunctionDeps>>;

/**
 * Composes a function's Middy stack once: the `X-Request-Id` header, logging context, metrics, error
 * mapping, route resolution (404,
 * 405), authentication (401, 403), JSON body parsing (400), then dispatch to the operation's
 * adapter. The order of the stack is the order of the checks in SPEC §2.
 */
export const createFunctionHandler = <F extends FunctionName>(fn: F, handlers: HandlerSet<F>, deps: FunctionDeps) =>
  middy<ApiEvent, ApiResult, Error, ApiContext>()
    .use(requestIdHeader())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestMetrics(fn, deps.metrics))
    .use(errorMapper())
    .use(routeResolver(fn, deps.basePath))
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
