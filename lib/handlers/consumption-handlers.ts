import type { HandlerSet } from '../http/function-handler.ts';
import { notYetAvailable } from './not-yet-available.ts';

/** The adapters of the quota-consumptions function: the data plane. */
export const consumptionHandlers: HandlerSet<'quota-consumptions'> = {
  consume: notYetAvailable,
};
