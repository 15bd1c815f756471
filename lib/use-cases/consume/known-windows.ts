/**
 * Per container: until when each credential's window is known to be open (from the last answer
 * DynamoDB gave about it), and the one call in flight for a credential whose open window the
 * container does not know. When none is known (a cold container, or the window it knew ended),
 * the concurrent calls of the credential would each spend a conditional write that can only fail
 * before one of them opens the window; instead one goes first and the others wait for its answer
 * (see `consume`). Nothing here decides a call: it only orders them. Least recently used
 * credentials go first past `capacity`.
 */
export class KnownWindows {
  readonly #capacity: number;
  readonly #openUntil = new Map<string, number>();
  readonly #first = new Map<string, Promise<unknown>>();

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /** Whether a window of the credential (`project/instance/app key`) is known to be open at `nowMs`. */
  isOpen(credential: string, nowMs: number): boolean {
    return (this.#openUntil.get(credential) ?? Number.NEGATIVE_INFINITY) > nowMs;
  }

  /** Remembers that the credential's window is open until `endMs` (Infinity: no quota applies, no window to open). */
  set(credential: string, endMs: number): void {
    this.#openUntil.delete(credential);
    this.#openUntil.set(credential, endMs);
    if (this.#openUntil.size > this.#capacity) this.#openUntil.delete(this.#openUntil.keys().next().value as string);
  }

  /** The call that went first for the credential and has not been answered yet, if any. */
  first(credential: string): Promise<unknown> | undefined {
    return this.#first.get(credential);
  }

  /** Tracks `call` as the credential's first until it settles. */
  goFirst(credential: string, call: Promise<unknown>): void {
    this.#first.set(credential, call);
    const done = () => {
      if (this.#first.get(credential) === call) this.#first.delete(credential);
    };
    call.then(done, done);
  }
}
