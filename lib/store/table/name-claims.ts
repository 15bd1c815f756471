import type { TransactItem } from './db.ts';
import type { Key } from './keys.ts';

/** Whose a name claim is: the attribute naming its owner (`app_id`, `quota_id`) and the owner's id. */
export interface ClaimOwner {
  readonly attribute: string;
  readonly id: string;
}

/**
 * The two transaction actions that move a name claim: the old claim deleted on condition that it
 * is still the owner's, the new one put `attribute_not_exists` (its failure means the name is
 * taken). Used by the renames of apps and quotas, so names stay unique within an instance; named
 * so that a transaction carrying them reads a cancellation by name.
 */
export const moveNameClaimActions = (
  tableName: string,
  from: Key,
  to: Key,
  type: string,
  owner: ClaimOwner,
): { readonly oldNameClaim: TransactItem; readonly newNameClaim: TransactItem } => ({
  oldNameClaim: {
    Delete: {
      TableName: tableName,
      Key: from,
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': owner.attribute },
      ExpressionAttributeValues: { ':owner': owner.id },
    },
  },
  newNameClaim: {
    Put: {
      TableName: tableName,
      Item: { ...to, type, [owner.attribute]: owner.id },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  },
});
