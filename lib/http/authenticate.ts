import type { MiddlewareObj } from '@middy/core';
import { isActionGranted } from '../auth/permissions.ts';
import type { TokenVerifier } from '../auth/token-verifier.ts';
import { forbidden } from '../domain/errors.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';

/**
 * Verifies `X-Auth-Token` (401 `APIG.1002`), then checks that the token acts in the path's project
 * and grants the route's action (403 `APIG.1005`). Routes without an action skip both.
 */
export const authenticate = (verify: TokenVerifier): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  name: 'authenticate',
  before: async ({ event, context }) => {
    const action = context.route?.action;
    if (!action) return;
    const principal = await verify(event.headers?.['x-auth-token']);
    // Set before the checks so a refusal's log line names the caller; the handler never runs then.
    context.principal = principal;
    const project = context.pathParameters?.project_id;
    if (principal.projectId !== project)
      throw forbidden(`token for project ${principal.projectId}, request for project ${project}`);
    if (!isActionGranted(principal.actions, action)) throw forbidden(`token lacks action ${action}`);
  },
});
