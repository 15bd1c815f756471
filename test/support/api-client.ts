import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { inject } from 'vitest';
import type { ResourceLimits } from '#app/config.ts';
import type { ControlPlaneDeps } from '#app/control-plane-deps.ts';
import { depsOver } from '#app/control-plane-deps.ts';
import { type Clock, systemClock } from '#domain/time.ts';
import type { ApiEvent, ApiResult } from '#http/api-types.ts';
import { lambdaContext, toApiGatewayEvent } from '#local/api-gateway-event.ts';
import { createServiceHandlers } from '#local/service-handlers.ts';
import type { FunctionName } from '#routing/route-types.ts';
import { createStore } from '#store/control-plane/store.ts';
import { type ClientOptions, createDocumentClient } from '#store/table/client.ts';
import type { Db } from '#store/table/db.ts';
import { createTableInput } from '#store/table/table-definition.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import { testDepsConfig } from './tokens.ts';

/** A response as a test reads it. */
export interface TestResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely
  readonly body: any;
}

/** A request as a test writes it: the body is sent as JSON unless it is already a string or Buffer. */
export interface TestRequest {
  readonly token?: string | undefined;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** The three deployed functions over one fresh table on DynamoDB Local, called in-process with API Gateway events. */
export interface TestApi {
  readonly db: Db;
  readonly deps: ControlPlaneDeps;
  call(method: string, url: string, request?: TestRequest): Promise<TestResponse>;
  /** Invokes the function the route table names for an already-built event. */
  invoke(fn: FunctionName, event: ApiEvent, context?: Context): Promise<ApiResult>;
}

/** Options of a test deployment. */
export interface TestApiOptions {
  readonly limits?: Partial<ResourceLimits>;
  readonly clock?: Clock;
  /** The SDK's retry strategy, for runs on a virtual clock (see `ClientOptions`). */
  readonly retryStrategy?: ClientOptions['retryStrategy'];
  /** Where each credential's round robin over its sub-counters starts (seeded for determinism). */
  readonly random?: () => number;
  /** A DynamoDB of the test's own (one it stalls on purpose), instead of the suite's. */
  readonly endpoint?: string;
  /** The SDK's time to connect and to answer (see `ClientOptions`). */
  readonly timeouts?: ClientOptions['timeouts'];
  /** A table another test API of the test created, to reach the same data with other settings. */
  readonly tableName?: string;
  /**
   * Whether the table has its stream, as the stack's and npm start's do: only the tests that read
   * it ask for it, since DynamoDB Local's streams slow every write of a suite of many tables.
   */
  readonly stream?: boolean;
}

/** Creates a fresh table on the suite's DynamoDB Local and the three functions' handlers over it. */
export const createTestApi = async (options: TestApiOptions = {}): Promise<TestApi> => {
  const { endpoint, tableName } =
    options.tableName === undefined
      ? await createTestTable(options.endpoint, { stream: options.stream ?? false })
      : { endpoint: options.endpoint ?? inject('dynamodbEndpoint'), tableName: options.tableName };
  const db: Db = {
    client: createDocumentClient({
      region: 'us-east-1',
      endpoint,
      retryStrategy: options.retryStrategy,
      timeouts: options.timeouts,
    }),
    tableName,
  };
  const deps = {
    ...depsOver(
      createStore(db),
      testDepsConfig({ appsPerInstance: 50, quotasPerInstance: 50, ...options.limits }),
      options.clock ?? systemClock,
    ),
    // A test may choose which sub-counter a call tries first.
    subcounters: new SubcounterCache(10_000, options.random),
  };
  return { db, ...callerOver(deps) };
};

/**
 * The functions' deadline in tests: DynamoDB Local on a loaded 2-core machine is slow, not sick,
 * so the tests raise the deadline (as `LOCAL_FUNCTION_TIMEOUT_SECONDS` does for `npm start`), never
 * the DynamoDB calls' share of it. Tests of the deadline itself give their own context.
 */
export const TEST_FUNCTION_TIMEOUT_MS = 60_000;

/** A Lambda context for a test's invocation of `fn`, with {@link TEST_FUNCTION_TIMEOUT_MS}. */
export const testContext = (fn: string): Context => lambdaContext(fn, TEST_FUNCTION_TIMEOUT_MS);

/** The three functions' handlers over the given dependencies, called in-process as {@link TestApi} calls them. */
export const callerOver = (deps: ControlPlaneDeps): Omit<TestApi, 'db'> => {
  const handlers = createServiceHandlers(deps);
  const invoke = (fn: FunctionName, event: ApiEvent, context: Context = testContext(fn)) =>
    handlers[fn](event, context);
  return {
    deps,
    invoke,
    async call(method, url, request = {}) {
      const { fn, event } = testEvent(method, url, request);
      return testResponse(await invoke(fn, event));
    },
  };
};

/** A project id no other test uses, so tests never see each other's data. */
export const freshProject = (): string => `p${randomUUID().replaceAll('-', '').slice(0, 12)}`;

/** The API Gateway event of a test request: a body that is not a string or Buffer is sent as JSON. */
export const testEvent = (method: string, url: string, request: TestRequest = {}) => {
  const { body } = request;
  const encoded = body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return toApiGatewayEvent({
    method,
    url,
    body: encoded,
    headers: {
      ...(encoded === undefined ? {} : { 'content-type': 'application/json' }),
      ...(request.token === undefined ? {} : { 'x-auth-token': request.token }),
      ...request.headers,
    },
  });
};

/** A function's result as a test reads it: lowercase header names, the body parsed. */
export const testResponse = (result: ApiResult): TestResponse => {
  const text = result.body ?? '';
  return {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
    body: text === '' ? undefined : JSON.parse(text),
  };
};

/**
 * A fresh table, built from the stack's definition, on the suite's DynamoDB Local (or the one
 * given); with its stream only when asked (`stream: true`), for the tests that read it.
 */
export const createTestTable = async (
  endpoint: string = inject('dynamodbEndpoint'),
  { stream = false }: { stream?: boolean } = {},
): Promise<{ endpoint: string; tableName: string }> => {
  const tableName = `test-${randomUUID()}`;
  const raw = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await raw.send(new CreateTableCommand(createTableInput(tableName, { stream })));
  raw.destroy();
  return { endpoint, tableName };
};
