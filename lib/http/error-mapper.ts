import type { MiddlewareObj } from '@middy/core';
import { ApiError, changeUnknown, serviceBusy, systemError } from '#domain/errors.ts';
import { logger } from '#observability/logger.ts';
import type { Operation } from '#routing/routes.ts';
import { writeMayHaveLanded } from '#store/table/request-scope.ts';
import { isTransientFailure } from '#store/table/sdk-failures.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';
import { errorResult } from './responses.ts';
import { UNKNOWN_OUTCOME_ADVICE } from './unknown-outcomes.ts';

/**
 * The answer to a failure that says nothing of the request's effect (throttling or a timeout past
 * the SDK's retries, the request's deadline): "retry later" only when no write of the request
 * landed or was left unanswered; otherwise the route's "outcome unknown".
 */
const unavailable = (operation: Operation): ApiError => {
  const advice = UNKNOWN_OUTCOME_ADVICE[operation];
  return advice !== undefined && writeMayHaveLanded() ? changeUnknown(advice) : serviceBusy();
};

/**
 * The one place errors become responses: an {@link ApiError} becomes its APIG envelope; anything
 * else is logged with both request ids and answered with no detail: 503 when DynamoDB throttled
 * or timed out past the SDK's retries or the request's deadline came (`CQ.5030` if nothing may have
 * been written, `CQ.5032` with what to do if something may), 500 `APIG.9999` for anything else.
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
    const operation = request.context.route?.operation;
    request.response = errorResult(
      !transient ? systemError() : operation === undefined ? serviceBusy() : unavailable(operation),
    );
  },
});
