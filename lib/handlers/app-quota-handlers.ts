import type { HandlerSet } from '../http/function-handler.ts';
import { notYetAvailable } from './not-yet-available.ts';

/** The adapters of the app-quotas function: everything under `{P}/app-quotas`. */
export const appQuotaHandlers: HandlerSet<'app-quotas'> = {
  createQuota: notYetAvailable,
  bindApps: notYetAvailable,
  listBoundApps: notYetAvailable,
  showQuota: notYetAvailable,
  listQuotas: notYetAvailable,
  updateQuota: notYetAvailable,
  deleteQuota: notYetAvailable,
  unbindApp: notYetAvailable,
  listBindableApps: notYetAvailable,
};
