import * as z from 'zod';

/** The most units one call may cost. */
export const MAX_COST = 1000;

/** Consume body. `app_key` is required; a badly formed one is answered like an unknown one. */
export const consumeBody = z.object({
  app_key: z.unknown().refine((value) => value !== undefined && value !== null),
  cost: z.number().int().min(1).max(MAX_COST).default(1),
});

const WELL_FORMED_KEY = /^[A-Za-z0-9_-]{8,64}$/;

/** Whether a given app_key could be one at all (anything else cannot match an app). */
export const isWellFormedAppKey = (value: unknown): value is string =>
  typeof value === 'string' && WELL_FORMED_KEY.test(value);
