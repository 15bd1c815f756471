import type { Operation } from '#routing/routes.ts';

/**
 * What a client does when a change ended with its outcome unknown (503 `CQ.5032`): how to learn
 * whether it landed, and that the same request again is safe. One entry per route that writes;
 * the creates have answers of their own (`CQ.5031` with a client token for an app, a list by name
 * for an instance or a quota). Used by the error mapper and the OpenAPI document.
 */
export const UNKNOWN_OUTCOME_ADVICE: Readonly<Partial<Record<Operation, string>>> = {
  updateApp: 'the app may have been updated; read it, or send the same request again (it sets the same values)',
  resetAppSecret:
    'the secret may have been replaced; send the request again: the secret of its answer is the one that holds',
  deleteApp: 'the app may have been deleted; send the request again (404 means it was)',
  deleteInstance: 'the instance may have been deleted; send the request again (404 means it was)',
  updateQuota: 'the quota may have been updated; read it, or send the same request again (it sets the same values)',
  deleteQuota:
    'the quota may have been deleted; send the request again (404 means it was; an unfinished delete is finished by the sweep)',
  bindApps:
    'the apps may have been bound; send the same request again (apps already bound to this quota are answered as bound)',
  unbindApp: 'the app may have been unbound; send the request again (404 means it was)',
  consume: 'the call may have been counted; treat it as refused',
};
