/**
 * `@credential-quota/guard`: the service's consume, in-process, as a Middy middleware for another
 * project's Lambda functions. It reads and writes the service's table directly (the function
 * needs `dynamodb:GetItem` and `dynamodb:UpdateItem` on it: `grantQuotaGuard` from
 * `@credential-quota/guard/cdk` grants them and sets `TABLE_NAME`).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { checkRefusalRecheckMs, refusalRecheckFromEnv } from '#domain/refusals.ts';
import { type Clock, systemClock } from '#domain/time.ts';
import { createConsumeStore } from '#store/data-plane/consume-store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import type { ConsumeDeps } from '#use-cases/consume/consume.ts';
import { QuotaStateCache } from '#use-cases/consume/quota-state-cache.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';

export { DEFAULT_REFUSAL_RECHECK_MS, MAX_REFUSAL_RECHECK_MS } from '#domain/refusals.ts';
export type { Clock } from '#domain/time.ts';
export type { ConsumeDeps, ConsumeOutcome, QuotaState } from '#use-cases/consume/consume.ts';
export { DEFAULT_LEASE_UNITS, MAX_LEASE_UNITS, MIN_LEASE_UNITS } from './leases.ts';
export { type GuardedResponse, type LeaseOptions, type QuotaGuardOptions, quotaGuard } from './quota-guard.ts';

/** Where the guard finds the service's table; every field falls back to the environment. */
export interface GuardTableOptions {
  /** @default process.env.TABLE_NAME (what `grantQuotaGuard` sets) */
  readonly tableName?: string | undefined;
  /** @default process.env.AWS_REGION (set in every Lambda function) */
  readonly region?: string | undefined;
  /** Another DynamoDB endpoint, e.g. DynamoDB Local's URL. @default process.env.DYNAMODB_ENDPOINT, else AWS */
  readonly endpoint?: string | undefined;
  /** A document client of your own, instead of one built with the service's timeouts and retries. */
  readonly client?: DynamoDBDocumentClient | undefined;
  /** @default the system clock */
  readonly clock?: Clock | undefined;
  /**
   * D, in ms: refusals this container has seen DynamoDB make are answered from memory (no
   * request) and asked again at most every D, so a settings change reaches refusals within D;
   * admissions never come from memory. An integer from 0 (every call asks) to 5000.
   * @default process.env.REFUSAL_RECHECK_MS, else 1000
   */
  readonly refusalRecheckMs?: number | undefined;
}

/**
 * Builds what `quotaGuard` works with: one document client (the service's settings: 3 attempts,
 * 1 s to connect, 2 s to answer) and the per-container caches (sub-counters, quota states,
 * refusals seen, window openings in flight). Call it once, at module scope, so warm invocations
 * reuse them.
 */
export const createGuardDeps = (options: GuardTableOptions = {}): ConsumeDeps => {
  const tableName = options.tableName ?? process.env.TABLE_NAME;
  if (!tableName) throw new Error('createGuardDeps: no table: pass tableName or set TABLE_NAME (grantQuotaGuard does)');
  let client = options.client;
  if (!client) {
    const region = options.region ?? process.env.AWS_REGION;
    if (!region) throw new Error('createGuardDeps: no region: pass region or set AWS_REGION');
    client = createDocumentClient({ region, endpoint: options.endpoint ?? process.env.DYNAMODB_ENDPOINT });
  }
  const refusalRecheckMs =
    options.refusalRecheckMs === undefined
      ? refusalRecheckFromEnv(process.env.REFUSAL_RECHECK_MS)
      : checkRefusalRecheckMs(options.refusalRecheckMs);
  return {
    store: createConsumeStore({ client, tableName }),
    clock: options.clock ?? systemClock,
    subcounters: new SubcounterCache(),
    quotaStates: new QuotaStateCache(),
    refusalRecheckMs,
  };
};
