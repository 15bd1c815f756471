import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db, TransactItem } from '#store/table/db.ts';
import { appKey, clientTokenKey } from '#store/table/keys.ts';

/**
 * What a create request left under its client token: which request it was (a keyed digest of the
 * operation and its input, so a secret in the input is not stored in any readable form) and its
 * answer, sealed because an app's answer holds the app's secret.
 */
export interface ClientTokenRecord {
  readonly projectId: string;
  readonly token: string;
  /** The app the create made (its instance is part of the fingerprint). */
  readonly appId: string;
  readonly fingerprint: string;
  readonly sealedAnswer: string;
  /** Epoch seconds after which the record is void; DynamoDB's TTL removes it some time later. */
  readonly expiresAt: number;
}

interface ClientTokenItem {
  readonly app_id: string;
  readonly fingerprint: string;
  readonly sealed_answer: string;
  readonly expires_at: number;
}

/**
 * The attribute DynamoDB's TTL reads (epoch seconds), the table's `timeToLiveAttribute`: only
 * client-token records carry it. Kept here, not read from the table definition, so the data plane,
 * which reads apps through this module's neighbours, does not bundle the whole table shape.
 */
export const TTL_ATTRIBUTE = 'expires_at';

/** The record under a client token, unless there is none or it has expired (TTL deletes lazily). */
export const getClientToken = async (
  db: Db,
  projectId: string,
  token: string,
  nowSeconds: number,
): Promise<ClientTokenRecord | undefined> => {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: clientTokenKey(projectId, token), ConsistentRead: true }),
  );
  const item = Item as ClientTokenItem | undefined;
  if (!item || item.expires_at <= nowSeconds) return undefined;
  return {
    projectId,
    token,
    appId: item.app_id,
    fingerprint: item.fingerprint,
    sealedAnswer: item.sealed_answer,
    expiresAt: item.expires_at,
  };
};

/**
 * The transaction action that writes a record, so the answer is stored if and only if the create
 * is: the token must be free, or hold an expired record DynamoDB has not removed yet.
 */
export const putClientTokenAction = (db: Db, record: ClientTokenRecord, nowSeconds: number): TransactItem => ({
  Put: {
    TableName: db.tableName,
    Item: {
      ...clientTokenKey(record.projectId, record.token),
      type: 'client-token',
      app_id: record.appId,
      fingerprint: record.fingerprint,
      sealed_answer: record.sealedAnswer,
      [TTL_ATTRIBUTE]: record.expiresAt,
    },
    ConditionExpression: 'attribute_not_exists(pk) OR #expires <= :now',
    ExpressionAttributeNames: { '#expires': TTL_ATTRIBUTE },
    ExpressionAttributeValues: { ':now': nowSeconds },
  },
});

/**
 * Whether the app still holds the client token of its create: not once it is deleted or its
 * secret reset, after which a recorded answer would hand out a secret no longer valid.
 */
export const appHoldsClientToken = async (
  db: Db,
  projectId: string,
  instanceId: string,
  appId: string,
  token: string,
): Promise<boolean> => {
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: appKey(projectId, instanceId, appId),
      ConsistentRead: true,
      ProjectionExpression: 'client_token',
    }),
  );
  return Item?.client_token === token;
};
