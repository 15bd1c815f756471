import type { Db, TransactItem } from '#store/table/db.ts';
import { clientTokenKey } from '#store/table/keys.ts';
import { TTL_ATTRIBUTE } from '#store/table/table-definition.ts';

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

/** The stored form of a client-token record. */
export interface ClientTokenItem {
  readonly app_id: string;
  readonly fingerprint: string;
  readonly sealed_answer: string;
  readonly expires_at: number;
}

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
