import type { MiddlewareObj } from '@middy/core';
import { methodNotAllowed, routeNotFound } from '../domain/errors.ts';
import { type FunctionName, matchRoute } from '../routes.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';

/**
 * Matches the request against the route table before anything else, so an unknown path is 404
 * and an unknown method 405 whatever the token. A route of another function is unknown here.
 */
export const routeResolver = (fn: FunctionName): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  name: 'route-resolver',
  before: ({ event, context }) => {
    const match = matchRoute(event.requestContext.http.method, event.rawPath);
    if (match.kind === 'not-found') throw routeNotFound();
    if (match.kind === 'method-not-allowed') throw methodNotAllowed(match.allowed);
    if (match.route.fn !== fn) throw routeNotFound();
    context.route = match.route;
    context.pathParameters = match.pathParameters;
  },
});
