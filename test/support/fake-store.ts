import type { Store } from '#store/control-plane/store.ts';

/**
 * An in-memory stand-in for the control plane's {@link Store} (a superset of consume's
 * `ConsumeStore`) for unit tests whose assertions never depend on stored data. It answers only
 * the methods given; any other method throws an error naming it, and is recorded in `missing`,
 * because the function handler turns a thrown error into a 500 that a test might not look at:
 * `assertComplete` makes such a call fail the test instead of passing it by accident.
 */
export interface FakeStore {
  readonly store: Store;
  /** Every method called, in order, implemented or not. */
  readonly calls: string[];
  /** The methods called that this fake does not implement. */
  readonly missing: string[];
  /** Throws when a method this fake does not implement was reached since the last call. */
  assertComplete(): void;
}

/** A fake store that answers with `methods` and refuses, loudly, everything else. */
export const fakeStore = (methods: Partial<Store>): FakeStore => {
  const calls: string[] = [];
  const missing: string[] = [];
  const answers = methods as Record<string, (...args: unknown[]) => unknown>;
  const store = new Proxy({} as Store, {
    get: (_target, property) => {
      // Not a thenable, and nothing answers for symbols (inspection, iteration).
      if (typeof property !== 'string' || property === 'then') return undefined;
      const answer = answers[property];
      return (...args: unknown[]) => {
        calls.push(property);
        if (answer !== undefined) return answer(...args);
        missing.push(property);
        throw new Error(`fake store: ${property} is not implemented (the test reached it; give it an answer)`);
      };
    },
  });
  return {
    store,
    calls,
    missing,
    assertComplete() {
      // Cleared as it is read, so one test's gap is reported once, by that test.
      const reached = [...new Set(missing.splice(0))];
      if (reached.length > 0) throw new Error(`fake store: the test reached ${reached.join(', ')}, not implemented`);
    },
  };
};
