import type { MiddlewareObj } from '@middy/core';
import type { Deps } from '../deps.ts';
import { ApiError, invalidParameter, unknownAppKey } from '../domain/errors.ts';
import { isWellFormedAppKey, MAX_COST } from '../schemas/consume-body.ts';
import { consume } from '../use-cases/consume.ts';
import { consumptionResponse } from './consumption-response.ts';
import { errorResult } from './responses.ts';

/** Where a guarded function's calls are counted, and how to read the credential from its events. */
export interface QuotaGuardOptions<TEvent> {
  /** The service's dependencies (`createDeps()` builds them from the environment). */
  readonly deps: Deps;
  /** The project and instance the credentials belong to. */
  readonly projectId: string;
  readonly instanceId: string;
  /** The caller's app_key, e.g. from a header. */
  readonly appKeyFrom: (event: TEvent) => unknown;
  /** What the call costs: an integer from 1 to 1000 (1 when not given); anything else is answered 400. */
  readonly costOf?: (event: TEvent) => number;
}

type Response = { statusCode?: number; headers?: Record<string, unknown> } | null | undefined;

/**
 * The consume of `POST {P}/quota-consumptions` as a Middy middleware for any Lambda: before the
 * handler, it counts the call against the caller's credential quota. Refused, the handler does not
 * run and the response is the same 429 `APIG.0308` the route answers, with `Retry-After` and the
 * RateLimit fields; an unknown credential gets the route's 404. Admitted, the handler runs and its
 * response gets the RateLimit fields. Other failures (DynamoDB unreachable) are thrown to the
 * function's own error handling.
 */
export const quotaGuard = <TEvent, TResult extends Response>(
  options: QuotaGuardOptions<TEvent>,
): MiddlewareObj<TEvent, TResult> => {
  const admittedHeaders = new WeakMap<object, Readonly<Record<string, string>>>();
  return {
    name: 'quota-guard',
    before: async (request) => {
      try {
        const appKey = options.appKeyFrom(request.event);
        if (!isWellFormedAppKey(appKey)) throw unknownAppKey();
        const cost = options.costOf?.(request.event) ?? 1;
        // The route refuses such a cost with 400; so does the guard, rather than count 0 or -5 units.
        if (!Number.isInteger(cost) || cost < 1 || cost > MAX_COST) throw invalidParameter('cost');
        const outcome = await consume(options.deps, {
          projectId: options.projectId,
          instanceId: options.instanceId,
          appKey,
          cost,
        });
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
