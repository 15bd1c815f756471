import { isThrottlingError, isTransientError } from '@smithy/core/retry';

type SdkError = Parameters<typeof isTransientError>[0];

/**
 * Whether an error is DynamoDB throttling, by the SDK's own classification, or an answer made of
 * one (its `cause`: a create's "outcome unknown").
 */
export const isThrottlingFailure = (error: unknown): boolean =>
  error instanceof Error && (isThrottlingError(error as SdkError) || isThrottlingFailure(error.cause));

/**
 * Whether DynamoDB failed in a way that says nothing of the request's effect: throttling, a
 * timeout, a 5xx (the SDK's own classification of what its retries are for), or a transaction
 * still running under the same client request token (an earlier attempt of this very request).
 * Past the SDK's retries such a write may or may not have landed.
 */
export const isTransientFailure = (error: unknown): boolean =>
  isThrottlingFailure(error) ||
  (error instanceof Error && (isTransientError(error as SdkError) || error.name === 'TransactionInProgressException'));
