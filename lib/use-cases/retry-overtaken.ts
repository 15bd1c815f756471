/** How often an operation reads again after a concurrent change overtook its transaction. */
export const OVERTAKEN_ATTEMPTS = 25;

const backoff = (attempt: number) =>
  new Promise((done) => setTimeout(done, Math.random() * Math.min(200, 5 * 2 ** attempt)));

/**
 * Runs an optimistic read-decide-transact attempt until it completes: `undefined` means a
 * concurrent change cancelled its transaction, so it reads again (with jittered backoff). Errors
 * the attempt throws (404, 400...) end it at once. Past the attempts it fails as a system error.
 */
export const retryOvertaken = async <T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> => {
  for (let n = 1; ; n += 1) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (n >= OVERTAKEN_ATTEMPTS) throw new Error(`${what} overtaken ${n} times`);
    await backoff(n);
  }
};
