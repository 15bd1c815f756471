import { isValidCost } from '#domain/consume-rules.ts';
import { invalidParameter } from '#domain/errors.ts';
import { canonicalId } from '#domain/ids.ts';
import type { ApiRequest } from '#http/api-types.ts';

/** A consume request as the data plane reads it. */
export interface ConsumeRequest {
  readonly projectId: string;
  readonly instanceId: string;
  /** Anything but undefined and null: a badly formed key is answered like an unknown one (404). */
  readonly appKey: unknown;
  readonly cost: number;
}

const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Reads a consume request without zod, so the data plane's bundle does not carry it: the same
 * checks, in the same order, with the same 400 `APIG.2012` naming the first offending field, as
 * `parseRequest('consume', ...)` with the route's schemas (`instancePath`, `consumeBody`), which
 * the OpenAPI document is generated from; a unit test holds the two equal on arbitrary input.
 */
export const parseConsumeRequest = ({ pathParameters, body }: ApiRequest): ConsumeRequest => {
  const projectId = pathParameters.project_id;
  if (typeof projectId !== 'string' || !PROJECT_ID.test(projectId)) throw invalidParameter('project_id');
  const instanceId =
    typeof pathParameters.instance_id === 'string' ? canonicalId(pathParameters.instance_id) : undefined;
  if (instanceId === undefined) throw invalidParameter('instance_id');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidParameter('body');
  const { app_key: appKey, cost = 1 } = body as Record<string, unknown>;
  if (appKey === undefined || appKey === null) throw invalidParameter('app_key');
  if (!isValidCost(cost)) throw invalidParameter('cost');
  return { projectId, instanceId, appKey, cost };
};
