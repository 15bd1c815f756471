import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#store/table/db.ts';
import { quotaKey } from '#store/table/keys.ts';

/**
 * Whether a quota is marked deleting, missing or live, from one small strongly consistent read:
 * what a refused consume asks of the quota that refused it.
 */
export const getQuotaState = async (
  db: Db,
  projectId: string,
  instanceId: string,
  quotaId: string,
): Promise<'live' | 'deleting' | 'missing'> => {
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.tableName,
      Key: quotaKey(projectId, instanceId, quotaId),
      ConsistentRead: true,
      ProjectionExpression: 'quota_id, deleting',
    }),
  );
  if (!Item) return 'missing';
  return Item.deleting === true ? 'deleting' : 'live';
};
