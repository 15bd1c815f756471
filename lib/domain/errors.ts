/**
 * Domain errors. Every error the service answers with is an {@link ApiError} thrown by the code that
 * detects it; exactly one middleware (`lib/http/error-mapper.ts`) turns it into the APIG envelope.
 */

/** An error with the HTTP status, APIG error code and message that the client will see. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Why, for the log line only: 401 and 403 bodies never say (SPEC §2). */
  readonly reason: string | undefined;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}, reason?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.headers = headers;
    this.reason = reason;
  }
}

/** 400 `APIG.2012`: a field, query parameter or path parameter the service cannot accept. */
export const invalidParameter = (name: string): ApiError =>
  new ApiError(
    400,
    'APIG.2012',
    `Invalid parameter value,parameterName:${name}. Please refer to the support documentation`,
  );

/** 401 `APIG.1002`: no token, or one that does not verify; `reason` goes to the log only. */
export const invalidToken = (reason: string): ApiError =>
  new ApiError(401, 'APIG.1002', 'Incorrect token or token resolution failed', {}, reason);

/** 403 `APIG.1005`: a valid token for another project, or without the route's action; `reason` is logged only. */
export const forbidden = (reason: string): ApiError =>
  new ApiError(403, 'APIG.1005', 'No permissions to request this method', {}, reason);

/** 403 `APIG.3100`: a configured resource limit would be passed. */
export const resourceLimitExceeded = (): ApiError =>
  new ApiError(403, 'APIG.3100', 'The number of resources exceeds the maximum allowed limit');

/** 404 `APIG.3030`. */
export const instanceNotFound = (id: string): ApiError =>
  new ApiError(404, 'APIG.3030', `The instance does not exist;id:${id}`);

/** 404 `APIG.3004`. */
export const appNotFound = (id: string): ApiError => new ApiError(404, 'APIG.3004', `The app ${id} does not exist`);

/** 404 `APIG.3093`. */
export const quotaNotFound = (id: string): ApiError =>
  new ApiError(404, 'APIG.3093', `The App quota ${id} does not exist`);

/** 404 `APIG.3004` for a consume whose app_key names no app (the key itself is not echoed). */
export const unknownAppKey = (): ApiError => new ApiError(404, 'APIG.3004', 'The app with this app_key does not exist');

/** 429 `APIG.0308`: the credential's quota has fewer units left in this window than the call costs. */
export const quotaExhausted = (quotaId: string, headers: Record<string, string>): ApiError =>
  new ApiError(429, 'APIG.0308', `The throttling threshold has been reached: app quota ${quotaId}`, headers);

/** 404 `APIG.3093` for an app bound to no quota. */
export const noBoundQuota = (appId: string): ApiError =>
  new ApiError(404, 'APIG.3093', `The App quota of app ${appId} does not exist`);

/** 400 `APIG.3325`. */
export const quotaNameExists = (): ApiError => new ApiError(400, 'APIG.3325', 'The API quota name already exists');

/** 400 `CQ.4001` (no vendor code): the app name is taken within the instance. */
export const appNameExists = (name: string, instanceId: string): ApiError =>
  new ApiError(400, 'CQ.4001', `The app name ${name} already exists in instance ${instanceId}`);

/** 400 `CQ.4002` (no vendor code): the app_key is taken within the instance. */
export const appKeyExists = (instanceId: string): ApiError =>
  new ApiError(400, 'CQ.4002', `The app_key already exists in instance ${instanceId}`);

/** 400 `CQ.4003` (no vendor code): one quota per app; the app must be unbound first. */
export const appBoundElsewhere = (appId: string, boundQuotaId: string, quotaId: string): ApiError =>
  new ApiError(
    400,
    'CQ.4003',
    `The app ${appId} is already bound to app quota ${boundQuotaId}; unbind it before binding it to app quota ${quotaId}`,
  );

/** 400 `CQ.4004` (no vendor code): an instance is deleted only once it holds no apps and no quotas. */
export const instanceNotEmpty = (instanceId: string, apps: number, quotas: number): ApiError =>
  new ApiError(
    400,
    'CQ.4004',
    `The instance ${instanceId} still holds ${apps} apps and ${quotas} app quotas; delete them before the instance`,
  );

/** 404 `APIG.0101`: no route has this path (the gateway's own code for an unknown API). */
export const routeNotFound = (): ApiError =>
  new ApiError(404, 'APIG.0101', 'The API does not exist or has not been published in the environment');

/** 405 `CQ.4050` (no vendor code): the path exists, the method does not. */
export const methodNotAllowed = (allowed: readonly string[]): ApiError =>
  new ApiError(405, 'CQ.4050', 'The method is not allowed on this resource', { Allow: allowed.join(', ') });

/**
 * 503 `CQ.5030` (no vendor code): DynamoDB throttled or timed out even after the SDK's retries.
 * Nothing was half written (every change is one request or one transaction), but a write that
 * timed out may still land: a create answers {@link outcomeUnknown} instead, and docs/design.md "Retries and faults"
 * says what a retry of each operation answers.
 */
export const serviceBusy = (): ApiError =>
  new ApiError(503, 'CQ.5030', 'The service is busy; retry the request later', { 'Retry-After': '1' });

/**
 * 503 `CQ.5031` (no vendor code): a create's transaction timed out past the SDK's retries, so it may
 * or may not have landed. Its answer was written in the same transaction under the request's client
 * token, given back in `X-Client-Token`: the same request repeated with that header answers what
 * the create answered (an app's secret included), or creates it now if it never landed.
 */
export const outcomeUnknown = (clientToken: string): ApiError =>
  new ApiError(
    503,
    'CQ.5031',
    'The outcome is unknown; repeat the request with the X-Client-Token header of this answer',
    { 'Retry-After': '1', 'X-Client-Token': clientToken },
  );

/**
 * 503 `CQ.5032` (no vendor code): a create of an instance or a quota timed out past the SDK's
 * retries and may have landed. It holds no secret, so no answer is recorded: the list (by name)
 * shows whether it exists before the client creates it again.
 */
export const creationUnknown = (what: 'instance' | 'app quota', name: string): ApiError =>
  new ApiError(
    503,
    'CQ.5032',
    `The outcome is unknown: the ${what} ${name} may have been created; list by name before creating it again`,
    { 'Retry-After': '1' },
  );

/**
 * 503 `CQ.5032` (no vendor code) for a change other than a create: DynamoDB or the request's
 * deadline ended it after a write left, so it may have landed, in part or whole. `advice` says how
 * the client learns which and that repeating the same request is safe.
 */
export const changeUnknown = (advice: string): ApiError =>
  new ApiError(503, 'CQ.5032', `The outcome is unknown: ${advice}`, { 'Retry-After': '1' });

/** 422 `CQ.4220` (no vendor code): the `X-Client-Token` was already used by a different request. */
export const clientTokenReused = (): ApiError =>
  new ApiError(422, 'CQ.4220', 'The X-Client-Token was already used for a different request');

/**
 * 409 `CQ.4090` (no vendor code): the app created under this `X-Client-Token` was deleted or given
 * a new secret since, so its first answer is void and is not given again.
 */
export const clientTokenSpent = (): ApiError =>
  new ApiError(409, 'CQ.4090', 'The app created under this X-Client-Token was deleted or given a new secret since');

/** 500 `APIG.9999`: anything unexpected. The detail goes to the log, never to the client. */
export const systemError = (): ApiError => new ApiError(500, 'APIG.9999', 'System error');
