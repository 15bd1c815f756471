import type { MiddlewareObj } from '@middy/core';
import { ApiError, serviceBusy, systemError } from '#domain/errors.ts';
import { logger } from '#observability/logger.ts';
import { isTransientFailure } from '#store/table/sdk-failures.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';
import { errorResult } from './responses.ts';

/**
 * The one place errors become responses: an {@link ApiError} becomes its APIG envelope; anything
 * else is logged with both request ids and answered with no detail: 503 `CQ.5030` when DynamoDB
 * throttled or timed out past the SDK's retries, 500 `APIG.9999` for anything else.
 */
export const errorMapper = (): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  name: 'error-mapper',
  onError: (request) => {
    const { error } = request;
    if (error instanceof ApiError) {
      // A refused token or permission is the one 4xx an operator cannot tell apart from the body.
      if (error.status === 401 || error.status === 403)
        logger.warn('request refused', {
          status: error.status,
          errorCode: error.code,
          reason: error.reason,
          awsRequestId: request.context.awsRequestId,
          apiRequestId: request.event.requestContext?.requestId,
          operation: request.context.route?.operation,
          subject: request.context.principal?.subject,
        });
      // An answer made of a DynamoDB failure (a create's "outcome unknown") is logged as one.
      if (error.status >= 500)
        logger.error('dynamodb unavailable after retries', {
          error: error.cause ?? error,
          errorCode: error.code,
          awsRequestId: request.context.awsRequestId,
          apiRequestId: request.event.requestContext?.requestId,
          operation: request.context.route?.operation,
        });
      request.response = errorResult(error);
      return;
    }
    const transient = isTransientFailure(error);
    logger.error(transient ? 'dynamodb unavailable after retries' : 'unexpected error', {
      error,
      awsRequestId: request.context.awsRequestId,
      apiRequestId: request.event.requestContext?.requestId,
      operation: request.context.route?.operation,
    });
    request.response = errorResult(transient ? serviceBusy() : systemError());
  },
});
