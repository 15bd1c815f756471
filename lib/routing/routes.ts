/**
 * The route table: the one list of (method, path, action, function) that the CDK stack deploys, the
 * local server serves and the Lambda functions dispatch on, so the three cannot drift apart.
 * Paths use API Gateway's template syntax; `{product}` is `apigw` or `apic`.
 */

import { CONSUME_ROUTE } from './consume-route.ts';
import { INSTANCES_PATH as INSTANCES, INSTANCE_PATH as P } from './route-paths.ts';
import { type RouteMatch, RouteTable } from './route-table.ts';
import type { FunctionName, RouteDefinition } from './route-types.ts';

/** Where the API serves its OpenAPI document. */
export const OPENAPI_PATH = '/openapi.json';

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
  CONSUME_ROUTE,
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
  {
    operation: 'listUsageHistory',
    method: 'GET',
    path: `${P}/apps/{app_id}/quota-usage/history`,
    action: 'apig:app:get',
    fn: 'registry',
  },
  {
    operation: 'listQuotaUsage',
    method: 'GET',
    path: `${P}/app-quotas/{app_quota_id}/usage`,
    action: 'apig:clientQuota:get',
    fn: 'app-quotas',
  },
  { operation: 'health', method: 'GET', path: '/health', action: null, fn: 'registry' },
  { operation: 'openapi', method: 'GET', path: OPENAPI_PATH, action: null, fn: 'registry' },
] as const satisfies readonly RouteDefinition[];

/** A route's row, typed by the operation names the table holds. */
export type Route = (typeof ROUTES)[number];
/** The operation names of the route table. */
export type Operation = Route['operation'];
/** The operations one function serves. */
export type OperationOf<F extends FunctionName> = Extract<Route, { fn: F }>['operation'];

/** The function that API Gateway's `$default` route (every request no route matches) goes to. */
export const FALLBACK_FUNCTION: FunctionName = 'registry';

/** The routes one function serves. */
export const routesOf = (fn: FunctionName): readonly Route[] => ROUTES.filter((route) => route.fn === fn);

let whole: RouteTable<Route> | undefined;
const wholeTable = (): RouteTable<Route> => (whole ??= new RouteTable<Route>(ROUTES));

/** The row of a route key API Gateway matched (`event.routeKey`), if the table has it. */
export const routeByKey = (key: string): Route | undefined => wholeTable().byKey(key);

/**
 * Matches a method and raw path (no query string) against the whole route table, the way API
 * Gateway does (see {@link RouteTable.match}).
 */
export const matchRoute = (method: string, rawPath: string): RouteMatch<Route> => wholeTable().match(method, rawPath);
