import type { MiddlewareObj } from '@middy/core';
import { logger } from '#observability/logger.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';

/** Tags every log line of the invocation with its Lambda context (request id, cold start). */
export const logContext = (): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  name: 'log-context',
  before: (request) => logger.addContext(request.context),
});
