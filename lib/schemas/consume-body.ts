import * as z from 'zod';
import { MAX_COST } from '#domain/consume-rules.ts';

export { isWellFormedAppKey, MAX_COST } from '#domain/consume-rules.ts';

/** Consume body. `app_key` is required; a badly formed one is answered like an unknown one. */
export const consumeBody = z.object({
  app_key: z.unknown().refine((value) => value !== undefined && value !== null),
  cost: z.number().int().min(1).max(MAX_COST).default(1),
});
