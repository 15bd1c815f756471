import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { SERVICE_NAME } from '#app/config.ts';
import { TABLE_DEFINITION } from '#store/table/table-definition.ts';
import { exportNames, isProductionStage, STAGE_OUTPUTS } from './stage.ts';

/** One local index of TABLE_DEFINITION; without `projectedAttributes` it projects every attribute. */
interface LocalIndexDefinition {
  readonly indexName: string;
  readonly sortKey: string;
  readonly projectedAttributes?: readonly string[];
}

// The projection must match `createTableInput`'s, or DynamoDB Local and AWS would answer the same
// query with different attributes.
const projectionOf = (index: LocalIndexDefinition) =>
  index.projectedAttributes
    ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projectedAttributes] }
    : { projectionType: ProjectionType.ALL };

/** What the stateful stack needs to know: which environment it holds the data of. */
export interface StatefulStackProps extends StackProps {
  readonly stage: string;
}

/**
 * The stack that holds data: the single DynamoDB table, and the key that seals the access keys'
 * secrets stored in it. It is kept apart from the functions and the API so that those can be
 * replaced, renamed or destroyed without any risk to the data.
 */
export class StatefulStack extends Stack {
  /** The single table of the service, for the stateless stack to bind its functions to. */
  public readonly table: TableV2;
  /**
   * The key that seals every access key's secret in the table. It lives and dies with the table:
   * a new one would leave every stored access key unusable.
   */
  public readonly accessKeySealingSecret: Secret;

  /** Creates the table of one stage. */
  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const production = isProductionStage(props.stage);
    const { partitionKey, sortKey } = TABLE_DEFINITION;
    const localIndexes: readonly LocalIndexDefinition[] = TABLE_DEFINITION.localIndexes;
    // Every key attribute is a string, as in `createTableInput`, so DynamoDB Local and AWS agree.
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      localSecondaryIndexes: localIndexes.map((index) => ({
        indexName: index.indexName,
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        ...projectionOf(index),
      })),
      billing: Billing.onDemand(),
      timeToLiveAttribute: TABLE_DEFINITION.timeToLiveAttribute,
      // The usage history and threshold events read every counter's change from it (lib/infra/usage-stream.ts).
      dynamoStream: StreamViewType[TABLE_DEFINITION.streamViewType],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Test stages are created and destroyed freely; production data is never deleted by a stack
      // operation, even one run by mistake.
      deletionProtection: production,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // What another project's stack imports to run the quota guard against this table (grantQuotaGuard).
    const exported = exportNames(props.stage);
    new CfnOutput(this, STAGE_OUTPUTS.tableName, {
      description: 'The DynamoDB table, for the quota guard in other stacks',
      value: this.table.tableName,
      exportName: exported.tableName,
    });
    new CfnOutput(this, STAGE_OUTPUTS.tableArn, {
      description: "The DynamoDB table's ARN, for grantQuotaGuard in other stacks",
      value: this.table.tableArn,
      exportName: exported.tableArn,
    });
    this.accessKeySealingSecret = new Secret(this, 'AccessKeySealingSecret', {
      description: `${SERVICE_NAME} (${props.stage}): seals the secret keys of access keys (AK/SK) stored in the table`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.accessKeySealingSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Every secret key in the table is sealed with this value: rotating it would make every stored access key ' +
        'unusable until each one was sealed again. Access keys themselves are rotated by creating a new key and ' +
        'revoking the old (npm run access-key).',
    });
  }
}
