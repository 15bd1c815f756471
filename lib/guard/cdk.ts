/**
 * `@credential-quota/guard/cdk`: wires another stack's function to the service's table for the
 * guard. Needs `aws-cdk-lib` (and `constructs`) in the project that uses it.
 */
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';

/**
 * The DynamoDB actions the guard sends, exactly those of the service's own data plane (see
 * `FUNCTION_TABLE_ACTIONS['quota-consumptions']`): GetItem (an app key's claim, a counter, an
 * instance) and UpdateItem (the conditional consume). No index is read.
 */
export const QUOTA_GUARD_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/** The table as the guard needs it: a name and an ARN (a `TableV2`, a `Table`, or one imported by name or ARN). */
export interface QuotaGuardTable {
  readonly tableName: string;
  readonly tableArn: string;
}

/**
 * Grants `fn` exactly what the guard needs on the service's table (GetItem and UpdateItem on the
 * table's ARN, nothing on its indexes) and hands it the table's name as `TABLE_NAME`, which
 * `createGuardDeps()` reads. Works across stacks: pass the table, or one imported from the
 * service stack's `TableName` and `TableArn` exports (`Fn.importValue`).
 */
export const grantQuotaGuard = (fn: LambdaFunction, table: QuotaGuardTable): void => {
  fn.addToRolePolicy(new PolicyStatement({ actions: [...QUOTA_GUARD_TABLE_ACTIONS], resources: [table.tableArn] }));
  fn.addEnvironment('TABLE_NAME', table.tableName);
};
