import type { MiddlewareObj } from '@middy/core';
import { isValidCost, isWellFormedAppKey } from '#domain/consume-rules.ts';
import { ApiError, invalidParameter, unknownAppKey } from '#domain/errors.ts';
import { consumptionResponse } from '#http/consumption-response.ts';
import { errorResult } from '#http/responses.ts';
import { type ConsumeDeps, consume } from '#use-cases/consume/consume.ts';
import { DEFAULT_LEASE_UNITS, LeaseBook } from './leases.ts';

/** Leases: one write takes `units` (k) for the container, which admits up to k calls from memory. */
export interface LeaseOptions {
  /** k, an integer from 2 to 100. @default 10 ({@link DEFAULT_LEASE_UNITS}) */
  readonly units?: number;
}

/** Where a guarded function's calls are counted, and how to read the credential from its events. */
export interface QuotaGuardOptions<TEvent> {
  /** What consume works with: `createGuardDeps()` builds it over the table named by `TABLE_NAME`. */
  readonly deps: ConsumeDeps;
  /** The project and instance the credentials belong to. */
  readonly projectId: string;
  readonly instanceId: string;
  /** The caller's app_key, e.g. from a header. */
  readonly appKeyFrom: (event: TEvent) => unknown;
  /** What the call costs: an integer from 1 to 1000 (1 when not given); anything else is answered 400. */
  readonly costOf?: (event: TEvent) => number;
  /**
   * Opt in to leases (see {@link LeaseBook}): about 1/k DynamoDB writes per admitted call instead of
   * one, never over-admitting, at the price of at most k-1 units per container per window left
   * unused and quota changes applying within one lease. @default - off: every call is one exact consume
   */
  readonly leases?: LeaseOptions | undefined;
}

/** The response shape the guard answers with and adds headers to (API Gateway's, or any alike). */
export type GuardedResponse = { statusCode?: number; headers?: Record<string, unknown> } | null | undefined;

/**
 * The consume of `POST {P}/quota-consumptions` as a Middy middleware for any Lambda: before the
 * handler, it counts the call against the caller's credential quota. Refused, the handler does not
 * run and the response is the same 429 `APIG.0308` the route answers, with `Retry-After` and the
 * RateLimit fields; an unknown credential gets the route's 404, a bad cost its 400. Admitted, the
 * handler runs and its response gets the RateLimit fields. Other failures (DynamoDB unreachable)
 * are thrown to the function's own error handling.
 */
export const quotaGuard = <TEvent, TResult extends GuardedResponse>(
  options: QuotaGuardOptions<TEvent>,
): MiddlewareObj<TEvent, TResult> => {
  const admittedHeaders = new WeakMap<object, Readonly<Record<string, string>>>();
  const leases = options.leases ? new LeaseBook(options.leases.units ?? DEFAULT_LEASE_UNITS) : undefined;
  return {
    name: 'quota-guard',
    before: async (request) => {
      try {
        const appKey = options.appKeyFrom(request.event);
        if (!isWellFormedAppKey(appKey)) throw unknownAppKey();
        const cost = options.costOf?.(request.event) ?? 1;
        // The route refuses such a cost with 400; so does the guard, rather than count 0 or -5 units.
        if (!isValidCost(cost)) throw invalidParameter('cost');
        const input = { projectId: options.projectId, instanceId: options.instanceId, appKey, cost };
        const outcome = leases ? await leases.consume(options.deps, input) : await consume(options.deps, input);
        admittedHeaders.set(request, consumptionResponse(outcome).headers ?? {});
        return undefined;
      } catch (error) {
        if (error instanceof ApiError) return errorResult(error) as TResult;
        throw error;
      }
    },
    after: (request) => {
      const headers = admittedHeaders.get(request);
      const response = request.response;
      if (headers && response && typeof response === 'object') {
        response.headers = { ...response.headers, ...headers };
      }
    },
  };
};
