import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ClientTokenItem, ClientTokenRecord } from '#store/items/client-token-item.ts';
import type { Db } from '#store/table/db.ts';
import { appKey, clientTokenKey } from '#store/table/keys.ts';

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
