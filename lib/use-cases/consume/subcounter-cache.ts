/**
 * How many sub-counters each credential's window is spread over, remembered per function
 * container so that a warm consume aims its first request at one of them, in turn (round robin
 * from a random start, so that containers do not all begin on the same one). It is only a hint:
 * every counter carries the true count, a consume that meets another count learns it, and a
 * missing sub-counter sends it back to the main one. Least recently used keys go first past
 * `capacity`.
 */
export class SubcounterCache {
  readonly #capacity: number;
  readonly #random: () => number;
  readonly #counts = new Map<string, number>();
  readonly #cursors = new Map<string, number>();

  /** `random` in [0, 1) picks where each credential's round robin starts (seeded in tests). */
  constructor(capacity = 10_000, random: () => number = Math.random) {
    this.#capacity = capacity;
    this.#random = random;
  }

  /** The sub-counter of `count` a credential's next call should aim at first. */
  pick(projectId: string, instanceId: string, appKey: string, count: number): number {
    if (count <= 1) return 0;
    const name = `${projectId}/${instanceId}/${appKey}`;
    const cursor = this.#cursors.get(name) ?? Math.floor(this.#random() * count);
    this.#cursors.set(name, cursor + 1);
    if (this.#cursors.size > this.#capacity) this.#cursors.delete(this.#cursors.keys().next().value as string);
    return cursor % count;
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
