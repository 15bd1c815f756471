import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * Attributes copied into the local secondary indexes: what the lists show, nothing the data plane
 * writes. A consume updates only the counter attributes of an app item, which are not projected,
 * so it never costs an index write.
 */
export const LISTED_ATTRIBUTES = [
  'type',
  'project_id',
  'instance_id',
  'app_id',
  'quota_id',
  'name',
  'name_lc',
  'description',
  'remark',
  'status',
  'app_key',
  'create_time',
  'register_time',
  'update_time',
  'bound_time',
  'call_limits',
  'time_unit',
  'time_interval',
  'reset_time',
  'bound_app_num',
  'limit_units',
  'window_ms',
  'anchor_ms',
  'config_version',
  'deleting',
] as const;

/**
 * The single table's shape, read by the CDK stateful stack and by the local table set-up so both
 * build the same table. Local secondary indexes (not global ones) serve the lists, because only
 * they allow strongly consistent reads: a page reflects every write that returned before it.
 */
export const TABLE_DEFINITION = {
  partitionKey: 'pk',
  sortKey: 'sk',
  localIndexes: [
    /** Listing order within a collection: instances and apps by name, quotas newest first. */
    { indexName: 'lsi1', sortKey: 'lsi1sk', projectedAttributes: LISTED_ATTRIBUTES },
    /** Binding state of apps: unbound apps by name, bound apps by quota then newest binding. */
    { indexName: 'lsi2', sortKey: 'lsi2sk', projectedAttributes: LISTED_ATTRIBUTES },
  ],
  /** Epoch seconds after which DynamoDB TTL may delete an item. */
  timeToLiveAttribute: 'expires_at',
} as const;

/** The index names the store queries. */
export type IndexName = (typeof TABLE_DEFINITION.localIndexes)[number]['indexName'];

/** `CreateTable` input for the table (on-demand billing), used against DynamoDB Local. */
export const createTableInput = (tableName: string): CreateTableCommandInput => {
  const { partitionKey, sortKey, localIndexes } = TABLE_DEFINITION;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [partitionKey, sortKey, ...localIndexes.map((index) => index.sortKey)].map((name) => ({
      AttributeName: name,
      AttributeType: 'S',
    })),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    LocalSecondaryIndexes: localIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projectedAttributes] },
    })),
  };
};
