/**
 * D, how often a container that answers a credential's refusals from memory asks DynamoDB again
 * (one real attempt), by default: a settings change (a raised limit, an unbind, a rebind, a delete)
 * reaches refusals within D. 1 s keeps a flood on an exhausted credential at about one request per
 * second per container (instead of one write per call) while a raised limit is felt within a
 * second, which is what a client's Retry-After loop would notice anyway.
 */
export const DEFAULT_REFUSAL_RECHECK_MS = 1_000;

/**
 * The largest D: a few seconds. Past that the requests saved are a rounding error (one per D per
 * container), while a raised limit or an unbind would be refused from memory for noticeably long.
 */
export const MAX_REFUSAL_RECHECK_MS = 5_000;

/** Checks a D given in settings: an integer from 0 (refusals never from memory) to {@link MAX_REFUSAL_RECHECK_MS}. */
export const checkRefusalRecheckMs = (ms: number): number => {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_REFUSAL_RECHECK_MS)
    throw new RangeError(
      `the refusal re-check interval must be an integer from 0 to ${MAX_REFUSAL_RECHECK_MS} ms, got ${ms}`,
    );
  return ms;
};

/**
 * D as `REFUSAL_RECHECK_MS` gives it: unset or empty, the default; anything else must be an
 * integer number of ms in bounds, or this throws (the function does not start: a typo would
 * otherwise silently change how long refusals may be stale).
 */
export const refusalRecheckFromEnv = (value: string | undefined): number => {
  if (value === undefined || value === '') return DEFAULT_REFUSAL_RECHECK_MS;
  try {
    return checkRefusalRecheckMs(/^\d+$/.test(value) ? Number(value) : Number.NaN);
  } catch {
    throw new RangeError(
      `REFUSAL_RECHECK_MS must be an integer from 0 to ${MAX_REFUSAL_RECHECK_MS} (ms), got ${JSON.stringify(value)}`,
    );
  }
};
