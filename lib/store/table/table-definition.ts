import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

const SHARED = ['project_id', 'instance_id', 'app_id', 'quota_id', 'name', 'name_lc', 'remark'] as const;
const APP_FIELDS = ['status', 'app_key', 'register_time', 'update_time'] as const;

/**
 * The attribute DynamoDB's TTL reads (epoch seconds), the table's `timeToLiveAttribute`: client-token
 * records and the usage history carry it.
 */
export const TTL_ATTRIBUTE = 'expires_at';

/**
 * What the lists read from `lsi1`: instances, apps and quotas as listed (19 attributes;
 * CloudFormation takes at most 20 per index).
 */
export const LISTING_ATTRIBUTES = [
  ...SHARED,
  ...APP_FIELDS,
  'description',
  'create_time',
  'call_limits',
  'time_unit',
  'time_interval',
  'reset_time',
  'bound_app_num',
  'deleting',
] as const;

/**
 * What `lsi2` serves: apps as the bound and bindable lists show them, and each bound app's copy
 * of its quota's settings, which a quota update reads to bring the copies up to date.
 */
export const BINDING_ATTRIBUTES = [
  ...SHARED,
  ...APP_FIELDS,
  'bound_time',
  'limit_units',
  'window_ms',
  'anchor_ms',
  'config_version',
] as const;

// Neither list holds the usage counters (`remaining`, `window_end_ms`): a consume writes only
// attributes no index projects, so it never costs an index write.

/**
 * The single table's shape, read by the CDK stateful stack and by the local table set-up so both
 * build the same table. Local secondary indexes (not global ones) serve the lists, because only
 * they allow strongly consistent reads: a page reflects every write that returned before it.
 */
export const TABLE_DEFINITION = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /**
   * The table's stream: every change with the item before and after it, which the usage history
   * and the threshold events are made of (a counter's old and new `remaining` and window), off the
   * hot path.
   */
  streamViewType: 'NEW_AND_OLD_IMAGES',
  /** Epoch seconds after which DynamoDB removes an item: client-token records (24 h), usage history (its retention). */
  timeToLiveAttribute: TTL_ATTRIBUTE,
  localIndexes: [
    /** Listing order within a collection: instances and apps by name, quotas newest first. */
    { indexName: 'lsi1', sortKey: 'lsi1sk', projectedAttributes: LISTING_ATTRIBUTES },
    /** Binding state of apps: unbound apps by name, bound apps by quota then newest binding. */
    { indexName: 'lsi2', sortKey: 'lsi2sk', projectedAttributes: BINDING_ATTRIBUTES },
  ],
} as const;

/** The index names the store queries. */
export type IndexName = (typeof TABLE_DEFINITION.localIndexes)[number]['indexName'];

/** `CreateTable` input for the table (on-demand billing), used against DynamoDB Local. */
export const createTableInput = (
  tableName: string,
  { stream = true }: { stream?: boolean } = {},
): CreateTableCommandInput => {
  const { partitionKey, sortKey, localIndexes, streamViewType } = TABLE_DEFINITION;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    // `stream: false` only for test tables that never read it: DynamoDB Local keeps a stream's
    // records for every write, which slows a suite of hundreds of tables several times over.
    ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType } } : {}),
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
