/**
 * What a function container knows of the quotas its refused consumes named: which are marked
 * deleting (for good: a quota's delete never goes back, and ids are never reused) and which were
 * live when last read (for `liveTtlMs` only: a delete may begin any time). A refused consume asks
 * the table only when it knows neither, so a credential hammering its exhausted window costs at
 * most one extra read per quota per container per `liveTtlMs`. Least recently used entries go
 * first past `capacity`.
 */
export class QuotaStateCache {
  readonly #capacity: number;
  readonly #liveTtlMs: number;
  readonly #deleting = new Map<string, true>();
  readonly #liveUntil = new Map<string, number>();

  constructor(capacity = 10_000, liveTtlMs = 1_000) {
    this.#capacity = capacity;
    this.#liveTtlMs = liveTtlMs;
  }

  /** What is known of a quota at `nowMs`: 'deleting', 'live', or nothing. */
  get(projectId: string, instanceId: string, quotaId: string, nowMs: number): 'deleting' | 'live' | undefined {
    const name = `${projectId}/${instanceId}/${quotaId}`;
    if (this.#deleting.has(name)) return 'deleting';
    const until = this.#liveUntil.get(name);
    if (until === undefined) return undefined;
    if (nowMs < until) return 'live';
    this.#liveUntil.delete(name);
    return undefined;
  }

  /** Remembers a quota's state as read at `nowMs`. */
  set(projectId: string, instanceId: string, quotaId: string, state: 'deleting' | 'live', nowMs: number): void {
    const name = `${projectId}/${instanceId}/${quotaId}`;
    const map: Map<string, unknown> = state === 'deleting' ? this.#deleting : this.#liveUntil;
    map.delete(name);
    if (state === 'deleting') {
      this.#deleting.set(name, true);
      this.#liveUntil.delete(name);
    } else this.#liveUntil.set(name, nowMs + this.#liveTtlMs);
    if (map.size > this.#capacity) map.delete(map.keys().next().value as string);
  }
}
