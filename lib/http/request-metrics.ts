import { performance } from 'node:perf_hooks';
import type { MiddlewareObj, Request } from '@middy/core';
import type { ServiceMetrics } from '#observability/metrics.ts';
import type { FunctionName } from '#routing/route-types.ts';
import { isThrottlingFailure } from '#store/table/sdk-failures.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';

type ApiRequest = Request<ApiEvent, ApiResult, Error, ApiContext>;

/**
 * Writes each invocation's metrics when it ends, with the status the client gets. It sits outside
 * the error mapper, so it sees the envelope the mapper made of a thrown error. Without `metrics`
 * (local runs, tests) it does nothing.
 */
export const requestMetrics = (
  fn: FunctionName,
  metrics: ServiceMetrics | undefined,
): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => {
  let startedAt = 0;
  const publish = (request: ApiRequest) =>
    metrics?.publish({
      fn,
      status: request.response?.statusCode ?? 500,
      latencyMs: performance.now() - startedAt,
      throttled: isThrottlingFailure(request.error),
    });
  return {
    name: 'request-metrics',
    before: () => {
      startedAt = performance.now();
    },
    after: publish,
    onError: publish,
  };
};
