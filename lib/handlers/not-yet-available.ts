import { routeNotFound } from '../domain/errors.ts';
import type { ApiResponse } from '../http/api-types.ts';

/**
 * The answer of a route that is in the table but not built yet: the gateway's 404 for an API that
 * is not published, never a crash or a 5xx.
 */
export const notYetAvailable = async (): Promise<ApiResponse> => {
  throw routeNotFound();
};
