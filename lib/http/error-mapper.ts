import type { MiddlewareObj } from '@middy/core';
import { ApiError, systemError } from '../domain/errors.ts';
import { logger } from '../logger.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';
import { errorResult } from './responses.ts';

/**
 * The one place errors become responses: an {@link ApiError} becomes its APIG envelope; anything
 * else is logged with both request ids and answered 500 `APIG.9999` with no detail.
 */
export const errorMapper = (): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  name: 'error-mapper',
  onError: (request) => {
    const { error } = request;
    if (error instanceof ApiError) {
      request.response = errorResult(error);
      return;
    }
    logger.error('unexpected error', {
      error,
      awsRequestId: request.context.awsRequestId,
      apiRequestId: request.event.requestContext?.requestId,
      operation: request.context.route?.operation,
    });
    request.response = errorResult(systemError());
  },
});
