/**
 * Which app an app key belongs to, remembered per function container. The mapping never changes
 * while the app exists (an app's key is fixed), and a deleted app is noticed by the consume that
 * misses it, so the cache needs no expiry: it only spares the steady-state consume a lookup.
 * Least recently used keys go first past `capacity`.
 */
export class AppKeyCache {
  readonly #capacity: number;
  readonly #ids = new Map<string, string>();

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /** The cached app id of a key in an instance. */
  get(projectId: string, instanceId: string, appKey: string): string | undefined {
    const name = `${projectId}/${instanceId}/${appKey}`;
    const id = this.#ids.get(name);
    if (id !== undefined) {
      this.#ids.delete(name);
      this.#ids.set(name, id);
    }
    return id;
  }

  /** Remembers a key's app id. */
  set(projectId: string, instanceId: string, appKey: string, appId: string): void {
    const name = `${projectId}/${instanceId}/${appKey}`;
    this.#ids.delete(name);
    this.#ids.set(name, appId);
    if (this.#ids.size > this.#capacity) this.#ids.delete(this.#ids.keys().next().value as string);
  }

  /** Forgets a key (its app is gone). */
  delete(projectId: string, instanceId: string, appKey: string): void {
    this.#ids.delete(`${projectId}/${instanceId}/${appKey}`);
  }
}
