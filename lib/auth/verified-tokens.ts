import type { Principal } from './permissions.ts';

/** What a verified token said, and until when that holds. */
interface Entry {
  readonly principal: Principal;
  /** `exp` and `nbf`, epoch seconds (`nbf` 0 when absent). */
  readonly exp: number;
  readonly nbf: number;
  /** When the entry stops being trusted even if `exp` is later (epoch ms). */
  readonly until: number;
}

/**
 * Tokens this container has already verified. A token's signature check is a pure function of
 * the exact token string and the key, so its success can be remembered; only the time checks
 * (`exp`, `nbf`, with the same tolerance) depend on when the token is shown, and they run on
 * every hit. Failures are never remembered. Entries also end after `maxAgeMs`, so a key that is
 * rotated out stops being honoured no later than the key cache would stop honouring it. The
 * least recently used entries go first past `capacity`.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;
  readonly #maxAgeMs: number;
  readonly #toleranceSeconds: number;

  constructor(options: { capacity: number; maxAgeMs: number; toleranceSeconds: number }) {
    this.#capacity = options.capacity;
    this.#maxAgeMs = options.maxAgeMs;
    this.#toleranceSeconds = options.toleranceSeconds;
  }

  /** The principal of a token verified before, if its time checks still pass now. */
  get(token: string, nowMs: number): Principal | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    const now = nowMs / 1000;
    const timely = now <= entry.exp + this.#toleranceSeconds && now >= entry.nbf - this.#toleranceSeconds;
    if (!timely || nowMs > entry.until) {
      this.#entries.delete(token);
      return undefined;
    }
    this.#entries.delete(token);
    this.#entries.set(token, entry);
    return entry.principal;
  }

  /** Remembers a token that just passed every check. */
  set(token: string, principal: Principal, exp: number, nbf: number | undefined, nowMs: number): void {
    this.#entries.set(token, { principal, exp, nbf: nbf ?? 0, until: nowMs + this.#maxAgeMs });
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
