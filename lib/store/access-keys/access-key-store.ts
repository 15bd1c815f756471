import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, queryAll, transact } from '#store/table/db.ts';
import { ACCESS_KEY_ENTRY_PREFIX, accessKeyEntryKey, accessKeyKey } from '#store/table/keys.ts';

/** An access key as stored: the project it acts in, its actions, and its secret key sealed. */
export interface StoredAccessKey {
  readonly accessKey: string;
  readonly projectId: string;
  readonly actions: readonly string[];
  readonly description: string;
  readonly createTime: Date;
  /** The secret key encrypted with a key kept outside the table (see `SecretBox`). */
  readonly sealedSecret: string;
}

/** What listing a project's keys shows: never the secret, sealed or not. */
export type AccessKeyListing = Omit<StoredAccessKey, 'sealedSecret'>;

interface AccessKeyItem {
  readonly access_key: string;
  readonly project_id: string;
  readonly actions: string[];
  readonly description: string;
  readonly create_time: string;
  readonly sealed_secret?: string;
}

const listingOf = (item: AccessKeyItem): AccessKeyListing => ({
  accessKey: item.access_key,
  projectId: item.project_id,
  actions: item.actions,
  description: item.description,
  createTime: new Date(item.create_time),
});

/**
 * Stores a new access key and its project's entry in one transaction, each `attribute_not_exists`.
 * False when the id is taken (ids are random: only a retry of this very create meets its own item).
 */
export const createAccessKey = (db: Db, key: StoredAccessKey): Promise<boolean> => {
  const fields = {
    access_key: key.accessKey,
    project_id: key.projectId,
    actions: [...key.actions],
    description: key.description,
    create_time: key.createTime.toISOString(),
  };
  return transact(db, [
    {
      Put: {
        TableName: db.tableName,
        Item: { ...accessKeyKey(key.accessKey), type: 'access_key', ...fields, sealed_secret: key.sealedSecret },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: db.tableName,
        Item: { ...accessKeyEntryKey(key.projectId, key.accessKey), type: 'access_key_entry', ...fields },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ]);
};

/** The access key with its sealed secret, if it exists (a strongly consistent read: a revoke shows at once). */
export const getAccessKey = async (db: Db, accessKey: string): Promise<StoredAccessKey | undefined> => {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: accessKeyKey(accessKey), ConsistentRead: true }),
  );
  const item = Item as AccessKeyItem | undefined;
  if (!item?.sealed_secret) return undefined;
  return { ...listingOf(item), sealedSecret: item.sealed_secret };
};

/** A project's access keys, oldest first by id order, without their secrets. */
export const listAccessKeys = async (db: Db, projectId: string): Promise<AccessKeyListing[]> =>
  (
    await queryAll<AccessKeyItem>(db, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': accessKeyEntryKey(projectId, '').pk, ':prefix': ACCESS_KEY_ENTRY_PREFIX },
    })
  ).map(listingOf);

/**
 * Deletes an access key and its project's entry in one transaction, conditioned on the key
 * belonging to that project. False when the project has no such key.
 */
export const revokeAccessKey = (db: Db, projectId: string, accessKey: string): Promise<boolean> =>
  transact(db, [
    {
      Delete: {
        TableName: db.tableName,
        Key: accessKeyKey(accessKey),
        ConditionExpression: 'project_id = :project',
        ExpressionAttributeValues: { ':project': projectId },
      },
    },
    {
      Delete: {
        TableName: db.tableName,
        Key: accessKeyEntryKey(projectId, accessKey),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
  ]);
