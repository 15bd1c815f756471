import { appBoundElsewhere, appNotFound } from '#domain/errors.ts';
import type { App, AppBinding } from '#domain/models.ts';
import { OVERTAKEN } from '#domain/overtaken.ts';
import type { Binding } from '#domain/quota.ts';
import type { UseCaseDeps } from './ports.ts';
import { requireQuota } from './require-quota.ts';
import { retryOvertaken } from './retry-overtaken.ts';

/** What binding apps takes: distinct canonical app ids, in request order. */
export interface BindAppsInput {
  readonly projectId: string;
  readonly instanceId: string;
  readonly quotaId: string;
  readonly appIds: readonly string[];
}

/**
 * Bind apps. Primary course: read the quota and the apps; refuse the whole request if the quota
 * or any app is missing (404, naming the first), else if any app is bound to another quota (400);
 * bind the others in one transaction that re-checks all of it, so nothing changes unless all of
 * it holds (a bind too large for one transaction is split, undone as a whole when a part fails or
 * its process dies: see the store's `bindApps`). Apps already bound to this quota keep their bound_time. A transaction overtaken by a
 * concurrent change is read again and retried, so its answer reflects the final state.
 *
 * An app still bound to a quota whose delete has begun (gone for every reader, its unbinding not
 * yet done) is not bound elsewhere: when nothing else refuses the request, such apps are unbound
 * from that quota first (each run conditioned on the quota being marked deleting), then it reads
 * again and binds. So a delete its client left half done never holds an app against a bind.
 */
export const bindApps = (deps: UseCaseDeps, input: BindAppsInput): Promise<Binding[]> => {
  const { projectId, instanceId, quotaId, appIds } = input;
  return retryOvertaken(`bind to quota ${quotaId}`, async () => {
    const [quota, found] = await Promise.all([
      requireQuota(deps, { projectId, instanceId, quotaId }),
      deps.store.getAppBindings(projectId, instanceId, appIds),
    ]);
    const boundTime = deps.clock.now();
    const toBind: App[] = [];
    const alreadyBound: App[] = [];
    const applies: Binding[] = [];
    const missing = appIds.find((appId) => !found.has(appId));
    if (missing) throw appNotFound(missing);
    // Other quotas' states, read only for apps bound elsewhere (the refusal path), once each.
    const states = new Map<string, Promise<'live' | 'deleting' | 'missing'>>();
    const stateOf = (otherId: string) => {
      let state = states.get(otherId);
      if (!state) {
        state = deps.store.getQuotaState(projectId, instanceId, otherId);
        states.set(otherId, state);
      }
      return state;
    };
    const held = new Map<string, AppBinding[]>();
    for (const appId of appIds) {
      const binding = found.get(appId);
      if (!binding) throw appNotFound(appId);
      if (binding.quotaId === undefined) {
        toBind.push(binding.app);
        applies.push({ quotaId, appId, boundTime });
      } else if (binding.quotaId === quotaId && binding.boundTime) {
        alreadyBound.push(binding.app);
        applies.push({ quotaId, appId, boundTime: binding.boundTime });
      } else if ((await stateOf(binding.quotaId)) === 'deleting') {
        held.set(binding.quotaId, [...(held.get(binding.quotaId) ?? []), binding]);
      } else {
        throw appBoundElsewhere(appId, binding.quotaId, quotaId);
      }
    }
    if (held.size > 0) {
      for (const [deletedId, bindings] of held) await deps.store.releaseFromDeletedQuota(deletedId, bindings);
      // Read again: the apps released are bindable now, or something changed meanwhile.
      return OVERTAKEN;
    }
    if (toBind.length === 0) return applies;
    const outcome = await deps.store.bindApps(quota, toBind, alreadyBound, boundTime, boundTime.getTime());
    return outcome === 'bound' ? applies : OVERTAKEN;
  });
};
