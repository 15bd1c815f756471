import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AppQuotasHandler } from '#adapters/quota-sweep-handler.ts';
import { depsOver } from '#app/control-plane-deps.ts';
import type { ApiEvent, ApiResult } from '#http/api-types.ts';
import type { TableAccess } from '#infra/table-access.ts';
import { scheduledEvent } from '#local/scheduled-event.ts';
import { FUNCTION_BUILDERS } from '#local/service-handlers.ts';
import { FUNCTION_NAMES, type FunctionName } from '#routing/route-types.ts';
import { matchRoute } from '#routing/routes.ts';
import { createStore } from '#store/control-plane/store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import type { Db } from '#store/table/db.ts';
import type { QuotaSweepsReport } from '#use-cases/sweep-quotas.ts';
import {
  createTestTable,
  type TestRequest,
  type TestResponse,
  testContext,
  testEvent,
  testResponse,
} from './api-client.ts';
import { testDepsConfig } from './tokens.ts';

/**
 * One permission as IAM checks it: an action on the table (`dynamodb:GetItem on table`) or on one
 * of its indexes (`dynamodb:Query on index lsi1`). Anything on another table is recorded as such.
 */
export type Permission = string;

const onTable = (action: string): Permission => `${action} on table`;
const onIndex = (action: string, index: string): Permission => `${action} on index ${index}`;

/** The permissions an access grants, in the recorder's terms. */
export const grantedPermissions = (access: TableAccess): Set<Permission> =>
  new Set([...access.onTable.map(onTable), ...access.queryIndexes.map((index) => onIndex('dynamodb:Query', index))]);

// The IAM action of each kind of item in a TransactWriteItems (or TransactGetItems): IAM
// authorises a transaction item by item, with the action of the single-item call.
const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

type Input = Record<string, unknown>;

/** The permissions one request needs, from its operation and its (marshalled) input. */
const permissionsOf = (operation: string, input: Input, tableName: string): Permission[] => {
  const on = (action: string, table: unknown, index?: unknown): Permission => {
    if (table !== tableName) return `${action} on other table ${String(table)}`;
    return typeof index === 'string' ? onIndex(action, index) : onTable(action);
  };
  switch (operation) {
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as Record<string, Input>[]).flatMap((item) =>
        Object.entries(item).map(([kind, body]) =>
          on(TRANSACT_ITEM_ACTIONS[kind] ?? `dynamodb:${kind}?`, body.TableName),
        ),
      );
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((input.RequestItems ?? {}) as Input).map((table) => on(`dynamodb:${operation}`, table));
    default:
      // Query and Scan with IndexName are authorised on the index's ARN, everything else on the table's.
      return [on(`dynamodb:${operation}`, input.TableName, input.IndexName)];
  }
};

/** The permissions a client's requests have needed so far. */
export interface PermissionRecorder {
  readonly used: ReadonlySet<Permission>;
}

/**
 * Records the IAM permission each request sent through `client` needs, every attempt included:
 * transactions are expanded into their items' actions, and a Query on an index is a permission on
 * that index. Added after the SDK's retry step, it sees exactly what reaches DynamoDB.
 */
export const recordPermissions = (client: DynamoDBDocumentClient, tableName: string): PermissionRecorder => {
  const used = new Set<Permission>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      for (const permission of permissionsOf(operation, args.input as Input, tableName)) used.add(permission);
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'permissionRecorder' },
  );
  return { used };
};

/** The three functions over one fresh table, each with its own client and recorder, as deployed. */
export interface RecordedService {
  /** Calls the function the route table names, as API Gateway would. */
  call(method: string, url: string, request?: TestRequest): Promise<TestResponse>;
  /** What each function's requests needed. */
  readonly recorders: Readonly<Record<FunctionName, PermissionRecorder>>;
  /** The operations each function has answered with a 2xx. */
  readonly succeeded: Readonly<Record<FunctionName, ReadonlySet<string>>>;
  /** Sends the app-quotas function its schedule's event, as EventBridge does: one sweep of quota deletes and split updates. */
  sweep(): Promise<QuotaSweepsReport>;
  /** The table through app-quotas' own client: what its stream processing runs over. */
  readonly appQuotasDb: Db;
}

type Invoke = (event: ApiEvent) => Promise<ApiResult>;

/**
 * Creates a fresh table on the suite's DynamoDB Local and the three functions' handlers over it.
 * Like the deployment, and unlike `createTestApi`, each function has its own document client (and
 * app-key cache), so each recorder sees only its own function's requests.
 */
export const createRecordedService = async (): Promise<RecordedService> => {
  const { endpoint, tableName } = await createTestTable(undefined, { stream: true });
  const recorders = {} as Record<FunctionName, PermissionRecorder>;
  const succeeded = {} as Record<FunctionName, Set<string>>;
  const invokers = {} as Record<FunctionName, Invoke>;
  let sweep: (() => Promise<QuotaSweepsReport>) | undefined;
  let appQuotasDb: Db | undefined;
  for (const fn of FUNCTION_NAMES) {
    const client = createDocumentClient({ region: 'us-east-1', endpoint });
    if (fn === 'app-quotas') appQuotasDb = { client, tableName };
    recorders[fn] = recordPermissions(client, tableName);
    succeeded[fn] = new Set();
    const deps = depsOver(createStore({ client, tableName }), testDepsConfig());
    const handler = FUNCTION_BUILDERS[fn](deps);
    invokers[fn] = (event) => handler(event, testContext(fn));
    // The same handler, given the schedule's event instead of a request.
    if (fn === 'app-quotas') {
      sweep = () => (handler as unknown as AppQuotasHandler)(scheduledEvent(), testContext(fn));
    }
  }
  return {
    recorders,
    succeeded,
    appQuotasDb: appQuotasDb as Db,
    sweep: () => (sweep as () => Promise<QuotaSweepsReport>)(),
    async call(method, url, request = {}) {
      const { fn, event } = testEvent(method, url, request);
      const response = testResponse(await invokers[fn](event));
      const match = matchRoute(method.toUpperCase(), new URL(url, 'http://localhost').pathname);
      if (response.status < 300 && match.kind === 'found') succeeded[fn].add(match.route.operation);
      return response;
    },
  };
};
