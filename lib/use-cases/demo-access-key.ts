import type { SecretBox } from '#domain/secret-box.ts';
import type { Clock } from '#domain/time.ts';
import type { Store } from '#store/control-plane/store.ts';
import { type CreatedAccessKey, createAccessKey } from './access-keys.ts';

/** The description that marks the access key `npm start` makes for its banner. */
export const DEMO_KEY_DESCRIPTION = 'npm start: project demo, every action';

/**
 * A fresh access key for project `demo` with every action, for `npm start` to print. The keys
 * earlier runs printed are revoked, so a persistent DATA_DIR holds one such key, not one per start.
 */
export const freshDemoAccessKey = async (
  deps: { readonly store: Store; readonly clock: Clock },
  box: SecretBox,
): Promise<CreatedAccessKey> => {
  for (const earlier of await deps.store.listAccessKeys('demo'))
    if (earlier.description === DEMO_KEY_DESCRIPTION) await deps.store.revokeAccessKey('demo', earlier.accessKey);
  return createAccessKey(deps, box, { projectId: 'demo', actions: ['apig:*'], description: DEMO_KEY_DESCRIPTION });
};
