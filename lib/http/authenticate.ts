import type { MiddlewareObj } from '@middy/core';
import { isActionGranted, type Principal } from '#auth/permissions.ts';
import { isSignedRequest, type SignedRequest } from '#auth/request-signature.ts';
import type { SignatureVerifier } from '#auth/signature-verifier.ts';
import type { TokenVerifier } from '#auth/token-verifier.ts';
import { forbidden } from '#domain/errors.ts';
import type { ApiContext, ApiEvent, ApiResult } from './api-types.ts';

/** How the service tells who is calling. */
export interface Verifiers {
  readonly verifyToken: TokenVerifier;
  readonly verifySignature: SignatureVerifier;
}

/** The parts of an API Gateway event that an SDK signature covers, as they were sent. */
export const signedRequestOf = (event: ApiEvent): SignedRequest => ({
  method: event.requestContext?.http?.method ?? 'GET',
  path: event.rawPath ?? '/',
  rawQuery: event.rawQueryString ?? '',
  headers: event.headers ?? {},
  body: event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
});

const callerOf = (event: ApiEvent, { verifyToken, verifySignature }: Verifiers): Promise<Principal> =>
  isSignedRequest(event.headers?.authorization)
    ? verifySignature(signedRequestOf(event))
    : verifyToken(event.headers?.['x-auth-token']);

/**
 * Tells who is calling (401 `APIG.1002`): an `Authorization: SDK-HMAC-SHA256 ...` header means a
 * request signed with an access key, anything else needs `X-Auth-Token`. Then checks that the
 * caller acts in the path's project (and in `X-Project-Id`'s, when sent) and holds the route's
 * action (403 `APIG.1005`). Routes without an action skip both.
 */
export const authenticate = (verifiers: Verifiers): MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> => ({
  name: 'authenticate',
  before: async ({ event, context }) => {
    const action = context.route?.action;
    if (!action) return;
    const principal = await callerOf(event, verifiers);
    // Set before the checks so a refusal's log line names the caller; the handler never runs then.
    context.principal = principal;
    const project = context.pathParameters?.project_id;
    if (principal.projectId !== project)
      throw forbidden(`caller of project ${principal.projectId}, request for project ${project}`);
    const headerProject = event.headers?.['x-project-id'];
    if (headerProject !== undefined && headerProject !== project)
      throw forbidden(`X-Project-Id ${headerProject}, request for project ${project}`);
    if (!isActionGranted(principal.actions, action)) throw forbidden(`caller lacks action ${action}`);
  },
});
