import type { Method, RouteDefinition } from './route-types.ts';

/** The product segments under which every route exists. */
export const PRODUCTS = ['apigw', 'apic'] as const;

/** API Gateway's route key (`GET /v2/{project_id}/...`), the value of `event.routeKey`. */
export const routeKey = (route: { readonly method: Method; readonly path: string }): string =>
  `${route.method} ${route.path}`;

/** The outcome of matching a request against the table. */
export type RouteMatch<R extends RouteDefinition = RouteDefinition> =
  | { readonly kind: 'found'; readonly route: R; readonly pathParameters: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly Method[] }
  | { readonly kind: 'not-found' };

/** Whether a `{product}` path parameter names one of {@link PRODUCTS}: API Gateway lets any segment through. */
export const isProduct = (value: string | undefined): boolean =>
  value === undefined || (PRODUCTS as readonly string[]).includes(value);

/**
 * The path as the route table sees it: without the custom domain's API mapping base path (which
 * API Gateway keeps in `rawPath`), when the path starts with it.
 */
export const stripBasePath = (rawPath: string, basePath: string | undefined): string => {
  if (!basePath) return rawPath;
  const prefix = `/${basePath}`;
  if (rawPath === prefix) return '/';
  return rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) : rawPath;
};

const PARAM = /^\{(\w+)\}$/;

const decodeSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** A path's parameters if its segments fit a route's template (and `{product}` is a product). */
const matchPath = (segments: readonly string[], template: readonly string[]): Record<string, string> | undefined => {
  if (segments.length !== template.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of template.entries()) {
    const segment = segments[index] ?? '';
    const name = PARAM.exec(part)?.[1];
    if (name === undefined) {
      if (part !== segment) return undefined;
    } else {
      if (segment === '') return undefined;
      params[name] = decodeSegment(segment);
    }
  }
  return isProduct(params.product) ? params : undefined;
};

/**
 * Some rows of the route table, ready to match requests: the whole table for the function that
 * answers unmatched requests, or one function's rows (the data plane carries only its own, so its
 * bundle holds one route, not the table).
 */
export class RouteTable<R extends RouteDefinition = RouteDefinition> {
  readonly #templates: readonly { readonly route: R; readonly segments: readonly string[] }[];
  readonly #byKey: ReadonlyMap<string, R>;

  constructor(routes: readonly R[]) {
    this.#templates = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
    this.#byKey = new Map(routes.map((route) => [routeKey(route), route]));
  }

  /** The row of a route key API Gateway matched (`event.routeKey`), if the table has it. */
  byKey(key: string): R | undefined {
    return this.#byKey.get(key);
  }

  /**
   * Matches a method and raw path (no query string) the way API Gateway does, with `{product}`
   * limited to {@link PRODUCTS}. An unknown path is `not-found`; a known path with another method
   * is `method-not-allowed`.
   */
  match(method: string, rawPath: string): RouteMatch<R> {
    const segments = rawPath.split('/').slice(1);
    const allowed: Method[] = [];
    for (const { route, segments: template } of this.#templates) {
      const pathParameters = matchPath(segments, template);
      if (pathParameters === undefined) continue;
      if (route.method === method) return { kind: 'found', route, pathParameters };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}
