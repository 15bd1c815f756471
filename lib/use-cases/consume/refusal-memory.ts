import type { Window } from '#domain/window.ts';

/** What a container saw of one credential's window when DynamoDB refused a call in it. */
export interface SeenRefusal {
  readonly appId: string;
  readonly quotaId: string;
  readonly configVersion: number | undefined;
  /** The quota's limit (`call_limits`), as the counters copied it. */
  readonly limit: number;
  /** The credential's sub-counters, as the counters said. */
  readonly count: number;
  /** The window refused in: the open one, or (when `opened` is false) the one a refused opening would have opened. */
  readonly window: Window;
  readonly opened: boolean;
  /**
   * Per sub-counter seen short, the most units it can have left in this window at these settings:
   * it cannot take a cost above that. Units only go down until the window ends or the settings
   * change, so the bound holds until then.
   */
  readonly bounds: ReadonlyMap<number, number>;
  /** What the deciding refusal showed as left. */
  readonly remaining: number;
  /** When DynamoDB was last asked about this credential's refusals: the next real attempt is due D after. */
  checkedAt: number;
}

/**
 * Per container: the windows in which DynamoDB refused a credential's calls, so that the next
 * calls the window cannot take are refused from memory (see `consume`). An entry goes at its
 * window's end, when a counter says something else (another window, settings version, quota or
 * count), and least recently used first past `capacity`. Nothing here ever admits a call.
 */
export class RefusalMemory {
  readonly #capacity: number;
  readonly #seen = new Map<string, SeenRefusal>();

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /** What is remembered of a credential (`project/instance/app key`) at `nowMs`, if its window is still open. */
  get(credential: string, nowMs: number): SeenRefusal | undefined {
    const seen = this.#seen.get(credential);
    if (!seen) return undefined;
    this.#seen.delete(credential);
    if (nowMs >= seen.window.end) return undefined;
    this.#seen.set(credential, seen);
    return seen;
  }

  /** Remembers what a refusal of a credential's call saw. */
  set(credential: string, seen: SeenRefusal): void {
    this.#seen.delete(credential);
    this.#seen.set(credential, seen);
    if (this.#seen.size > this.#capacity) this.#seen.delete(this.#seen.keys().next().value as string);
  }

  /** Forgets a credential: its counters said something the memory did not. */
  delete(credential: string): void {
    this.#seen.delete(credential);
  }

  /** How many credentials are remembered (for tests of the bound). */
  get size(): number {
    return this.#seen.size;
  }
}

/**
 * Per container: the window openings in flight, by credential, sub-counter and window, so that
 * concurrent calls that found the same counter with no window open wait for one opener instead
 * of each spending a conditional write that can only fail. Holds in-flight requests only (each is
 * dropped when it settles), so it is bounded by the container's concurrency.
 */
export class WindowOpenings {
  readonly #inFlight = new Map<string, Promise<unknown>>();

  /** The opening in flight under `key`, if any. */
  get(key: string): Promise<unknown> | undefined {
    return this.#inFlight.get(key);
  }

  /** Tracks `opening` under `key` until it settles. */
  track(key: string, opening: Promise<unknown>): void {
    this.#inFlight.set(key, opening);
    const done = () => {
      if (this.#inFlight.get(key) === opening) this.#inFlight.delete(key);
    };
    opening.then(done, done);
  }

  /** How many openings are in flight. */
  get size(): number {
    return this.#inFlight.size;
  }
}
