/** The three Lambda functions of the deployment (SPEC §8). */
export const FUNCTION_NAMES = ['registry', 'app-quotas', 'quota-consumptions'] as const;
/** One of the deployment's three functions. */
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * Each function's timeout in seconds: the deployment's (the stack's settings) and, unless
 * `LOCAL_FUNCTION_TIMEOUT_SECONDS` says otherwise, the local server's. Every request's DynamoDB
 * calls share it (see `withRequestDeadline`). The data plane's is short because the gateway waits
 * on it for every call: 6 s still holds one DynamoDB call's every retry (`WORST_CASE_MS`).
 */
export const FUNCTION_TIMEOUT_SECONDS: Readonly<Record<FunctionName, number>> = {
  registry: 10,
  'app-quotas': 10,
  'quota-consumptions': 6,
};

/** HTTP methods the API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One row of the route table. `action` is null for the routes that need no token (health, OpenAPI). */
export interface RouteDefinition {
  readonly operation: string;
  readonly method: Method;
  readonly path: string;
  readonly action: string | null;
  readonly fn: FunctionName;
}
