import { newCredential } from '#domain/ids.ts';
import type { SecretBox } from '#domain/secret-box.ts';
import type { Clock } from '#domain/time.ts';
import type { AccessKeyListing } from '#store/access-keys/access-key-store.ts';
import type { Store } from '#store/control-plane/store.ts';

/** What creating an access key takes. */
export interface CreateAccessKeyInput {
  readonly projectId: string;
  readonly actions: readonly string[];
  readonly description?: string;
}

/** A new access key with its secret key, which is shown this once and stored only sealed. */
export interface CreatedAccessKey extends AccessKeyListing {
  readonly secretKey: string;
}

// The vendor's shapes: a 20-character upper-case access key id, a 40-character secret key.
const ACCESS_KEY_ALPHABET = /[^A-Z0-9]/g;
const newAccessKeyId = (): string => {
  let id = '';
  while (id.length < 20) id += newCredential(40).toUpperCase().replace(ACCESS_KEY_ALPHABET, '');
  return id.slice(0, 20);
};

/**
 * Create an access key. Primary course: generate the id and the secret key, seal the secret with
 * the deployment's key (never stored in plain text), store the key and its project's entry in
 * one transaction, and hand the secret back once.
 */
export const createAccessKey = async (
  { store, clock }: { readonly store: Store; readonly clock: Clock },
  box: SecretBox,
  input: CreateAccessKeyInput,
): Promise<CreatedAccessKey> => {
  for (;;) {
    const accessKey = newAccessKeyId();
    const secretKey = newCredential(40);
    const listing: AccessKeyListing = {
      accessKey,
      projectId: input.projectId,
      actions: input.actions,
      description: input.description ?? '',
      createTime: clock.now(),
    };
    // A taken id (one in 36^20) is simply drawn again.
    if (await store.createAccessKey({ ...listing, sealedSecret: box.seal(secretKey, accessKey) }))
      return { ...listing, secretKey };
  }
};
