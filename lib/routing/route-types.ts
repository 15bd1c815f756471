/** The three Lambda functions of the deployment (SPEC §8). */
export const FUNCTION_NAMES = ['registry', 'app-quotas', 'quota-consumptions'] as const;
/** One of the deployment's three functions. */
export type FunctionName = (typeof FUNCTION_NAMES)[number];

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
