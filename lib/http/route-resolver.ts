import type { MiddlewareObj } from '@middy/core';
import { methodNotAllowed, routeNotFound } from '#domain/errors.ts';
import { isProduct, type RouteMatch, type RouteTable, stripBasePath } from '#routing/route-table.ts';
import type { FunctionName } from '#routing/route-types.ts';
import type { Route } from '#routing/routes.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';

/** Where a request goes, from what API Gateway matched, or from the path when it matched nothing. */
const resolve = (table: RouteTable<Route>, event: ApiEvent, basePath: string | undefined): RouteMatch<Route> => {
  if (event.routeKey !== '$default') {
    // API Gateway matched a route of the table: trust its match, not `rawPath`, which behind a
    // custom domain's API mapping still carries the mapping's base path.
    const route = table.byKey(event.routeKey);
    const pathParameters: Record<string, string> = {};
    for (const [name, value] of Object.entries(event.pathParameters ?? {})) {
      if (value !== undefined) pathParameters[name] = value;
    }
    if (route === undefined || !isProduct(pathParameters.product)) return { kind: 'not-found' };
    return { kind: 'found', route, pathParameters };
  }
  // `$default` gets what no route matched; the path tells a known path with another method (405)
  // from an unknown one (404).
  return table.match(event.requestContext.http.method, stripBasePath(event.rawPath, basePath));
};

/**
 * Resolves the request's route before anything else, so an unknown path is 404 and an unknown
 * method 405 whatever the token. A route of another function is unknown here. `table` holds the
 * routes the function knows: all of them for the one that answers unmatched requests (`$default`),
 * which tells 404 from 405 by any route's path. `basePath` is the custom domain's API mapping key.
 */
export const routeResolver = (
  fn: FunctionName,
  table: RouteTable<Route>,
  basePath?: string,
): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  name: 'route-resolver',
  before: ({ event, context }) => {
    const match = resolve(table, event, basePath);
    if (match.kind === 'not-found') throw routeNotFound();
    if (match.kind === 'method-not-allowed') throw methodNotAllowed(match.allowed);
    if (match.route.fn !== fn) throw routeNotFound();
    context.route = match.route;
    context.pathParameters = match.pathParameters;
  },
});
