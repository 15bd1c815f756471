/**
 * What each function may do with the table, in IAM terms. Kept free of `aws-cdk-lib` so that the
 * integration test that proves these sets by use can import it without loading the CDK.
 */
import type { FunctionName } from '#routing/route-types.ts';
import type { IndexName } from '#store/table/table-definition.ts';

/**
 * A DynamoDB data-plane action a function may be granted. Scan, BatchWriteItem, PartiQL and every
 * control-plane action are not in the union at all, so no function can be given them by mistake.
 */
export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem';

/** One function's grants on the table. */
export interface TableAccess {
  /** Actions allowed on the table's own ARN. */
  readonly onTable: readonly DynamoAction[];
  /** The indexes it queries: `dynamodb:Query` is allowed on each one's ARN, and on no other index. */
  readonly queryIndexes: readonly IndexName[];
}

/**
 * Exactly the DynamoDB actions each function's code issues, no more: the integration test
 * `test/integration/table-permissions.test.ts` drives every route of each function against
 * DynamoDB Local, records the IAM action of every request it sends, and fails on an action missing
 * here and on one listed here that nothing used. IAM authorises a `TransactWriteItems` per
 * contained action (PutItem, UpdateItem, DeleteItem, ConditionCheckItem), so it needs no action
 * of its own; a Query with `IndexName` is authorised on the index's ARN, not the table's. Two
 * functions query the table itself: app-quotas the partition of quota deletes under way, registry
 * an app's usage-history partition; the data plane queries nothing.
 */
export const FUNCTION_TABLE_ACTIONS: Readonly<Record<FunctionName, TableAccess>> = {
  // Instances (Put, Get), apps (transactions of Put and Update on create, Delete and Update on
  // delete), an app's bound quota (BatchGet of the app, Get of the quota), usage (Get), usage
  // history (Query of the app's history partition); lists on lsi1.
  registry: {
    onTable: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    queryIndexes: ['lsi1'],
  },
  // Quotas and bindings: transactions of every kind, ConditionCheck for apps a bind finds already
  // bound; the quota list on lsi1, bound and bindable apps (and the update and delete fan-outs) on
  // lsi2; the markers of quota deletes under way (the sweep, a create at the limit) on the table;
  // the stream's processing: counters (BatchGet), a quota's own thresholds (Get), the history and
  // alert records (Update, Query, Put).
  'app-quotas': {
    onTable: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    ],
    queryIndexes: ['lsi1', 'lsi2'],
  },
  // The data plane: the app-key claim (Get), one conditional UpdateItem per window step, and on a
  // refusal the state of the quota that refused (Get).
  'quota-consumptions': {
    onTable: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    queryIndexes: [],
  },
};
