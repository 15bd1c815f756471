import type { ResourceLimits } from '#app/config.ts';
import type { SecretBox } from '#domain/secret-box.ts';
import type { Store } from '#store/control-plane/store.ts';
import type { ConsumeDeps } from './consume/consume.ts';

/**
 * What the control plane's use cases work with: the whole store (consume's part of it included,
 * since the local server and the tests consume through the same dependencies), the clock, the
 * resource limits and the sealing box.
 */
export interface UseCaseDeps extends ConsumeDeps {
  readonly store: Store;
  readonly limits: ResourceLimits;
  /** Seals what is stored but must be read back: access keys' secrets, a create's recorded answer. */
  readonly secretBox: () => Promise<SecretBox>;
}
