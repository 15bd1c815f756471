/**
 * The route table: the one list of (method, path, action, function) that the CDK stack deploys, the
 * local server serves and the Lambda functions dispatch on, so the three cannot drift apart.
 * Paths use API Gateway's template syntax; `{product}` is `apigw` or `apic`.
 */

/** The three Lambda functions of the deployment (SPEC §8). */
export const FUNCTION_NAMES = ['registry', 'app-quotas', 'quota-consumptions'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** The product segments under which every route exists. */
export const PRODUCTS = ['apigw', 'apic'] as const;

/** HTTP methods the API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Where the API serves its OpenAPI document. */
export const OPENAPI_PATH = '/openapi.json';

const INSTANCES = '/v2/{project_id}/{product}/instances';
const P = `${INSTANCES}/{instance_id}`;

/** Every route of the API, in SPEC §1 order. */
export const ROUTES = [
  { operation: 'createInstance', method: 'POST', path: INSTANCES, action: 'apig:instance:create', fn: 'registry' },
  { operation: 'showInstance', method: 'GET', path: P, action: 'apig:instance:get', fn: 'registry' },
  { operation: 'listInstances', method: 'GET', path: INSTANCES, action: 'apig:instance:list', fn: 'registry' },
  { operation: 'createApp', method: 'POST', path: `${P}/apps`, action: 'apig:app:create', fn: 'registry' },
  { operation: 'showApp', method: 'GET', path: `${P}/apps/{app_id}`, action: 'apig:app:get', fn: 'registry' },
  { operation: 'listApps', method: 'GET', path: `${P}/apps`, action: 'apig:app:list', fn: 'registry' },
  { operation: 'deleteApp', method: 'DELETE', path: `${P}/apps/{app_id}`, action: 'apig:app:delete', fn: 'registry' },
  {
    operation: 'createQuota',
    method: 'POST',
    path: `${P}/app-quotas`,
    action: 'apig:clientQuota:create',
    fn: 'app-quotas',
  },
  {
    operation: 'bindApps',
    method: 'POST',
    path: `${P}/app-quotas/{app_quota_id}/binding-apps`,
    action: 'apig:clientQuota:bindApp',
    fn: 'app-quotas',
  },
  {
    operation: 'listBoundApps',
    method: 'GET',
    path: `${P}/app-quotas/{app_quota_id}/bound-apps`,
    action: 'apig:clientQuota:listBoundApps',
    fn: 'app-quotas',
  },
  {
    operation: 'showQuota',
    method: 'GET',
    path: `${P}/app-quotas/{app_quota_id}`,
    action: 'apig:clientQuota:get',
    fn: 'app-quotas',
  },
  {
    operation: 'listQuotas',
    method: 'GET',
    path: `${P}/app-quotas`,
    action: 'apig:clientQuota:list',
    fn: 'app-quotas',
  },
  {
    operation: 'updateQuota',
    method: 'PUT',
    path: `${P}/app-quotas/{app_quota_id}`,
    action: 'apig:clientQuota:update',
    fn: 'app-quotas',
  },
  {
    operation: 'deleteQuota',
    method: 'DELETE',
    path: `${P}/app-quotas/{app_quota_id}`,
    action: 'apig:clientQuota:delete',
    fn: 'app-quotas',
  },
  {
    operation: 'unbindApp',
    method: 'DELETE',
    path: `${P}/app-quotas/{app_quota_id}/bound-apps/{app_id}`,
    action: 'apig:clientQuota:unbindApp',
    fn: 'app-quotas',
  },
  {
    operation: 'listBindableApps',
    method: 'GET',
    path: `${P}/app-quotas/{app_quota_id}/bindable-apps`,
    action: 'apig:clientQuota:listBindableApps',
    fn: 'app-quotas',
  },
  {
    operation: 'showAppQuota',
    method: 'GET',
    path: `${P}/apps/{app_id}/bound-quota`,
    action: 'apig:app:get',
    fn: 'registry',
  },
  {
    operation: 'consume',
    method: 'POST',
    path: `${P}/quota-consumptions`,
    action: 'apig:clientQuota:consume',
    fn: 'quota-consumptions',
  },
  {
    operation: 'showUsage',
    method: 'GET',
    path: `${P}/apps/{app_id}/quota-usage`,
    action: 'apig:app:get',
    fn: 'registry',
  },
  { operation: 'updateApp', method: 'PUT', path: `${P}/apps/{app_id}`, action: 'apig:app:update', fn: 'registry' },
  {
    operation: 'resetAppSecret',
    method: 'PUT',
    path: `${P}/apps/secret/{app_id}`,
    action: 'apig:app:update',
    fn: 'registry',
  },
  {
    operation: 'deleteInstance',
    method: 'DELETE',
    path: P,
    action: 'apig:instance:delete',
    fn: 'registry',
  },
  { operation: 'health', method: 'GET', path: '/health', action: null, fn: 'registry' },
  { operation: 'openapi', method: 'GET', path: OPENAPI_PATH, action: null, fn: 'registry' },
] as const satisfies readonly RouteDefinition[];

/** One row of the route table. `action` is null for the routes that need no token (health, OpenAPI). */
export interface RouteDefinition {
  readonly operation: string;
  readonly method: Method;
  readonly path: string;
  readonly action: string | null;
  readonly fn: FunctionName;
}

/** A route's row, typed by the operation names the table holds. */
export type Route = (typeof ROUTES)[number];
/** The operation names of the route table. */
export type Operation = Route['operation'];
/** The operations one function serves. */
export type OperationOf<F extends FunctionName> = Extract<Route, { fn: F }>['operation'];

/** API Gateway's route key (`GET /v2/{project_id}/...`), the value of `event.routeKey`. */
export const routeKey = (route: RouteDefinition): string => `${route.method} ${route.path}`;

/** The function that API Gateway's `$default` route (every request no route matches) goes to. */
export const FALLBACK_FUNCTION: FunctionName = 'registry';

/** The routes one function serves. */
export const routesOf = (fn: FunctionName): readonly Route[] => ROUTES.filter((route) => route.fn === fn);

/** The outcome of matching a request against the table. */
export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly pathParameters: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly Method[] }
  | { readonly kind: 'not-found' };

const PARAM = /^\{(\w+)\}$/;

const templates = ROUTES.map((route) => ({ route, segments: route.path.split('/').slice(1) }));

const decodeSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

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

const ROUTES_BY_KEY: ReadonlyMap<string, Route> = new Map(ROUTES.map((route) => [routeKey(route), route]));

/** The row of a route key API Gateway matched (`event.routeKey`), if the table has it. */
export const routeByKey = (key: string): Route | undefined => ROUTES_BY_KEY.get(key);

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

/**
 * Matches a method and raw path (no query string) against the route table, the way API Gateway
 * does, with `{product}` limited to {@link PRODUCTS}. An unknown path is `not-found`; a known path
 * with another method is `method-not-allowed`.
 */
export const matchRoute = (method: string, rawPath: string): RouteMatch => {
  const segments = rawPath.split('/').slice(1);
  const allowed: Method[] = [];
  for (const { route, segments: template } of templates) {
    const pathParameters = matchPath(segments, template);
    if (pathParameters === undefined) continue;
    if (route.method === method) return { kind: 'found', route, pathParameters };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
};
