import type { ApiError } from '#domain/errors.ts';
import type { ApiResponse, ApiResult } from './api-types.ts';

/** Serializes a handler's answer as API Gateway expects it. */
export const toResult = ({ status, body, headers }: ApiResponse): ApiResult => ({
  statusCode: status,
  headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

/** The APIG error envelope for an error. */
export const errorResult = (error: ApiError): ApiResult =>
  toResult({
    status: error.status,
    body: { error_code: error.code, error_msg: error.message },
    headers: error.headers,
  });
