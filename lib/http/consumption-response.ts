import type { z } from 'zod';
import { quotaExhausted } from '#domain/errors.ts';
import { formatTime } from '#domain/time.ts';
import type { consumptionSchema } from '#schemas/responses.ts';
import type { ConsumeOutcome, QuotaState } from '#use-cases/consume/consume.ts';
import type { ApiResponse } from './api-types.ts';

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): the policy (quota `q`
 * units per `w` seconds) and the state (`r` units left, `t` seconds until the window resets),
 * both named after the quota.
 */
export const rateLimitHeaders = (quota: QuotaState, now: number): Record<string, string> => {
  const name = `"${quota.quotaId}"`;
  return {
    'RateLimit-Policy': `${name};q=${quota.limit};w=${seconds(quota.windowEnd - quota.windowStart)}`,
    RateLimit: `${name};r=${quota.remaining};t=${seconds(quota.windowEnd - now)}`,
  };
};

/** The consume answer's body: the quota fields are null when no quota applies. */
export const consumptionBody = (outcome: ConsumeOutcome): z.output<typeof consumptionSchema> => ({
  app_id: outcome.appId,
  app_quota_id: outcome.quota?.quotaId ?? null,
  limit: outcome.quota?.limit ?? null,
  remaining: outcome.quota?.remaining ?? null,
  reset_at: outcome.quota ? formatTime(new Date(outcome.quota.windowEnd)) : null,
});

/**
 * The HTTP answer to a consume, for the route and the Middy guard alike: 200 with the RateLimit
 * fields when admitted; when refused, throws 429 `APIG.0308` with them and `Retry-After`.
 */
export const consumptionResponse = (
  outcome: ConsumeOutcome,
): ApiResponse & { body: z.output<typeof consumptionSchema> } => {
  const headers = outcome.quota ? rateLimitHeaders(outcome.quota, outcome.now) : {};
  if (!outcome.admitted && outcome.quota) {
    throw quotaExhausted(outcome.quota.quotaId, {
      ...headers,
      'Retry-After': String(seconds(outcome.quota.windowEnd - outcome.now)),
    });
  }
  return { status: 200, body: consumptionBody(outcome), headers };
};
