import type { MiddlewareObj, Request } from '@middy/core';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';

/** The response header that carries the request's id (the vendor SDKs put it on their errors). */
export const REQUEST_ID_HEADER = 'X-Request-Id';

const stamp = (request: Request<ApiEvent, ApiResult, Error, ApiContext>): void => {
  if (request.response == null) return;
  const requestId = request.event.requestContext?.requestId ?? request.context.awsRequestId;
  request.response = { ...request.response, headers: { ...request.response.headers, [REQUEST_ID_HEADER]: requestId } };
};

/**
 * Puts API Gateway's request id, the `apiRequestId` of the request's log lines, on every response,
 * answers and errors alike. Used outermost, so it sees the response the error mapper made.
 */
export const requestIdHeader = (): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  name: 'request-id',
  after: stamp,
  onError: stamp,
});
