/**
 * How many sub-counters each credential's window is spread over, remembered per function
 * container so that a warm consume picks one at random in its first request. It is only a hint:
 * every counter carries the true count, a consume that meets another count learns it, and a
 * missing sub-counter sends it back to the main one. Least recently used keys go first past
 * `capacity`.
 */
export class SubcounterCache {
  readonly #capacity: number;
  readonly #counts = new Map<string, number>();

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /** The remembered count of a credential (1 when unknown: the main counter alone). */
  get(projectId: string, instanceId: string, appKey: string): number {
    const name = `${projectId}/${instanceId}/${appKey}`;
    const count = this.#counts.get(name);
    if (count === undefined) return 1;
    this.#counts.delete(name);
    this.#counts.set(name, count);
    return count;
  }

  /** Remembers a credential's count. */
  set(projectId: string, instanceId: string, appKey: string, count: number): void {
    const name = `${projectId}/${instanceId}/${appKey}`;
    this.#counts.delete(name);
    this.#counts.set(name, count);
    if (this.#counts.size > this.#capacity) this.#counts.delete(this.#counts.keys().next().value as string);
  }

  /** Forgets a credential (its count changed or its app is gone). */
  delete(projectId: string, instanceId: string, appKey: string): void {
    this.#counts.delete(`${projectId}/${instanceId}/${appKey}`);
  }
}
