import { OVERTAKEN, type Overtaken } from '#domain/overtaken.ts';
import { isTransientFailure } from '#store/table/sdk-failures.ts';

/** How often an operation reads again after a concurrent change overtook its transaction. */
export const OVERTAKEN_ATTEMPTS = 25;

const backoff = (attempt: number) =>
  new Promise((done) => setTimeout(done, Math.random() * Math.min(200, 5 * 2 ** attempt)));

/**
 * Runs an optimistic read-decide-transact attempt until it completes: {@link OVERTAKEN} means a
 * concurrent change cancelled its transaction, so it reads again (with jittered backoff). Errors
 * the attempt throws (404, 400...) end it at once. Past the attempts it fails as a system error.
 */
export const retryOvertaken = async <T>(what: string, attempt: () => Promise<T | Overtaken>): Promise<T> => {
  for (let n = 1; ; n += 1) {
    const result = await attempt();
    if (result !== OVERTAKEN) return result as T;
    if (n >= OVERTAKEN_ATTEMPTS) throw new Error(`${what} overtaken ${n} times`);
    await backoff(n);
  }
};

/**
 * Runs a write that may land although DynamoDB's answer never arrives: a failure past the SDK's
 * retries (a timeout, throttling after a timed-out attempt) becomes `unknown`, the answer that
 * says so, instead of the generic "busy, retry" that would invite a duplicate.
 */
export const unknownIfTimedOut = async <T>(unknown: Error, write: () => Promise<T>): Promise<T> => {
  try {
    return await write();
  } catch (error) {
    if (!isTransientFailure(error)) throw error;
    // The SDK's error stays with the answer, for the log line and the throttling metric.
    unknown.cause = error;
    throw unknown;
  }
};
