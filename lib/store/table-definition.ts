import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

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
    { indexName: 'lsi1', sortKey: 'lsi1sk' },
    /** Binding state of apps: unbound apps by name, bound apps by quota then newest binding. */
    { indexName: 'lsi2', sortKey: 'lsi2sk' },
  ],
  /** Epoch seconds after which DynamoDB TTL may delete an item (quota counters of past windows). */
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
      Projection: { ProjectionType: 'ALL' },
    })),
  };
};
