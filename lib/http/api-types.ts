import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Principal } from '#auth/permissions.ts';
import type { Operation, Route } from '#routing/routes.ts';
import type { ResponseBody } from '#schemas/responses.ts';

/** The API Gateway (HTTP API, payload 2.0) event every function receives. */
export type ApiEvent = APIGatewayProxyEventV2;
/** What every function returns to API Gateway. */
export type ApiResult = APIGatewayProxyStructuredResultV2;

/** The Lambda context, with what the middleware learned about the request. */
export interface ApiContext extends Context {
  route?: Route;
  pathParameters?: Record<string, string>;
  principal?: Principal;
}

/** A request as an operation handler sees it: matched, authenticated and with its body parsed. */
export interface ApiRequest {
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body: unknown;
  readonly principal: Principal | undefined;
  /** The request's headers; API Gateway gives their names in lowercase. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** What an operation handler answers; the stack serializes it. */
export interface ApiResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An adapter from a request to one use case and back. */
export type OperationHandler<Deps> = (request: ApiRequest, deps: Deps) => Promise<ApiResponse>;

/**
 * What the handler of `O` answers: its body typed by the route's schema in
 * `lib/schemas/responses.ts` (none for a 204), the schema the OpenAPI document shows.
 */
export type OperationResponse<O extends Operation> = ApiResponse &
  (ResponseBody<O> extends undefined ? { readonly body?: undefined } : { readonly body: ResponseBody<O> });

/** The adapter of operation `O`: {@link OperationHandler} answering {@link OperationResponse}. */
export type TypedOperationHandler<O extends Operation, Deps> = (
  request: ApiRequest,
  deps: Deps,
) => Promise<OperationResponse<O>>;
