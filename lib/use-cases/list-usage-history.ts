import type { Page } from '#domain/page.ts';
import type { AppRef } from '#domain/refs.ts';
import { LAST_INSTANT } from '#domain/window.ts';
import type { UsageWindow } from '#store/items/usage-history-item.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireApp } from './require-app.ts';

/** A closed window as the history lists it (the store's read of the stream processor's item). */
export type { UsageWindow };

/** Which closed windows to list: those starting at or after `from` and before `to`, one page of them. */
export interface HistoryRange {
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly offset: number;
  readonly limit: number;
}

/**
 * List an app's usage history. Primary course: read the app (404 for a missing instance or app)
 * and, at the same time, the page of its closed windows that start in `[from, to)`, newest first
 * (every window when neither is given). The stream processor writes a window's item after the
 * window closes, so a window shows here within the processor's lag; an app that was deleted has
 * no history to show, though its items wait for their retention to end.
 */
export const listUsageHistory = async (
  deps: UseCaseDeps,
  { projectId, instanceId, appId, query }: AppRef & { readonly query: HistoryRange },
): Promise<Page<UsageWindow>> => {
  const [, page] = await Promise.all([
    requireApp(deps, { projectId, instanceId, appId }),
    deps.store.listUsageHistory(projectId, instanceId, appId, {
      fromMs: query.from?.getTime() ?? 0,
      toMs: query.to?.getTime() ?? LAST_INSTANT + 1,
      offset: query.offset,
      limit: query.limit,
    }),
  ]);
  return page;
};
