/**
 * What a consume accepts, kept free of zod: the data plane and the packaged guard check calls
 * with these, and the route's zod schema (`lib/schemas/consume-body.ts`) is built from the same.
 */

/** The most units one call may cost. */
export const MAX_COST = 1000;

const WELL_FORMED_KEY = /^[A-Za-z0-9_-]{8,64}$/;

/** Whether a given app_key could be one at all (anything else cannot match an app). */
export const isWellFormedAppKey = (value: unknown): value is string =>
  typeof value === 'string' && WELL_FORMED_KEY.test(value);

/** Whether `cost` is one a call may have: an integer from 1 to {@link MAX_COST}. */
export const isValidCost = (cost: unknown): cost is number =>
  typeof cost === 'number' && Number.isInteger(cost) && cost >= 1 && cost <= MAX_COST;
