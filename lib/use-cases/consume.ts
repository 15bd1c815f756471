import { randomUUID } from 'node:crypto';
import type { Deps } from '../deps.ts';
import { instanceNotFound, unknownAppKey } from '../domain/errors.ts';
import { windowAt } from '../domain/window.ts';
import type { AppItem } from '../store/app-store.ts';

/** What a consume asks. */
export interface ConsumeInput {
  readonly projectId: string;
  readonly instanceId: string;
  readonly appKey: string;
  readonly cost: number;
}

/** The quota a consume was measured against, and where its window stands after it. */
export interface QuotaState {
  readonly quotaId: string;
  readonly limit: number;
  /** Units left after this call (never below 0 as shown). */
  readonly remaining: number;
  readonly windowStart: number;
  readonly windowEnd: number;
}

/** A consume's answer: admitted or refused, and the quota that decided it (none when unbound). */
export interface ConsumeOutcome {
  readonly admitted: boolean;
  readonly appId: string;
  readonly quota: QuotaState | undefined;
  /** The clock's reading the decision was made at. */
  readonly now: number;
}

/** How often a consume reads the situation again when a concurrent change overtook it. */
const ATTEMPTS = 10;

// A transaction holding the item lasts milliseconds: a short jittered pause lets it finish.
const pause = (attempt: number) => new Promise((done) => setTimeout(done, Math.random() * 2 * attempt));

/** 404 for a key that names no app: `APIG.3030` when the instance itself is missing, else `APIG.3004`. */
const unknownKeyError = async ({ store }: Deps, projectId: string, instanceId: string) =>
  (await store.getInstance(projectId, instanceId)) ? unknownAppKey() : instanceNotFound(instanceId);

const stateOf = (item: AppItem, window: { start: number; end: number }): QuotaState => ({
  quotaId: item.quota_id as string,
  limit: item.limit_units as number,
  remaining: Math.max(0, item.remaining ?? 0),
  windowStart: window.start,
  windowEnd: window.end,
});

const openWindowOf = (item: AppItem) => ({
  start: (item.window_end_ms as number) - (item.window_ms as number),
  end: item.window_end_ms as number,
});

/**
 * Consume. Primary course, in the steady state ONE DynamoDB request: a conditional update that
 * takes `cost` units from the credential's open window. Otherwise the refused update's old item
 * says why: unbound (admitted, no quota applies), no open window (open the current one with this
 * call counted: a second request), too few units left (refused, using nothing). Exact under any
 * concurrency: DynamoDB's condition decides every admission.
 */
export const consume = async (deps: Deps, input: ConsumeInput): Promise<ConsumeOutcome> => {
  const { store, clock, appKeys } = deps;
  const { projectId, instanceId, appKey, cost } = input;
  const requestId = randomUUID();
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    const cached = appKeys.get(projectId, instanceId, appKey);
    const appId = cached ?? (await store.findAppIdByKey(projectId, instanceId, appKey));
    if (appId === undefined) throw await unknownKeyError(deps, projectId, instanceId);
    if (!cached) appKeys.set(projectId, instanceId, appKey, appId);
    const now = clock.now().getTime();
    const found = await store.consumeInWindow({ projectId, instanceId, appId }, appKey, cost, now, requestId);
    switch (found.kind) {
      case 'admitted':
        return { admitted: true, appId, quota: stateOf(found.item, openWindowOf(found.item)), now };
      case 'unbound':
        return { admitted: true, appId, quota: undefined, now };
      case 'refused':
        return { admitted: false, appId, quota: stateOf(found.item, openWindowOf(found.item)), now };
      case 'missing':
        appKeys.delete(projectId, instanceId, appKey);
        if (!cached) throw await unknownKeyError(deps, projectId, instanceId);
        continue;
      case 'again':
        await pause(attempt);
        continue;
      case 'no-window': {
        const window = windowAt(now, found.item.window_ms as number, found.item.anchor_ms);
        const opened = await store.openWindow(found.item, window, cost, requestId);
        if (opened.kind === 'admitted') return { admitted: true, appId, quota: stateOf(opened.item, window), now };
        if (opened.kind === 'overtaken') await pause(attempt);
        if (opened.kind === 'refused') {
          return {
            admitted: false,
            appId,
            quota: { ...stateOf(opened.item, window), remaining: opened.item.limit_units ?? 0 },
            now,
          };
        }
      }
    }
  }
  throw new Error(`consume for an app of instance ${instanceId} overtaken ${ATTEMPTS} times`);
};
