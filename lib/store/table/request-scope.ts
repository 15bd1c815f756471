import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';

/**
 * Time kept back from a function's deadline for its answer: the SDK sleeps up to 200 ms + 400 ms
 * between attempts without looking at the deadline, then the error is mapped, logged and sent.
 */
export const DEADLINE_MARGIN_MS = 800;

/** DynamoDB calls of one request: the deadline they share, and what became of its writes. */
interface RequestScope {
  /** Aborts at the deadline: no call is sent after it, and a call in flight is abandoned. */
  readonly signal: AbortSignal;
  /** Write attempts DynamoDB answered with success: the request changed something. */
  landed: number;
  /** Write attempts with no answer (a timeout, a lost connection, a 5xx): they may have landed. */
  uncertain: number;
}

const scopes = new AsyncLocalStorage<RequestScope>();

/**
 * A DynamoDB call refused or abandoned because its request's deadline came: one sent may still land.
 * Named like the SDK's own timeouts, so everything that classifies failures treats it as one.
 */
export class DeadlineExceeded extends Error {
  /** @param inFlight whether the call had left (so it may land) or was refused before leaving. */
  constructor(inFlight: boolean, options?: ErrorOptions) {
    super(
      inFlight ? "DynamoDB did not answer before the request's deadline" : "The request's deadline has passed",
      options,
    );
    this.name = 'TimeoutError';
  }
}

/**
 * Runs one request's work under one deadline: every DynamoDB call it makes (through
 * `createDocumentClient`'s client) gets the time left before `remainingMs` minus
 * {@link DEADLINE_MARGIN_MS}, and none starts after it. AsyncLocalStorage carries it, so the
 * stores keep their signatures and no call can forget it.
 */
export const withRequestDeadline = <T>(remainingMs: number, work: () => Promise<T>): Promise<T> => {
  const ms = remainingMs - DEADLINE_MARGIN_MS;
  // One timer per request, shared by its calls; a deadline already past aborts at once.
  const signal = ms > 0 ? AbortSignal.timeout(ms) : AbortSignal.abort();
  // Each call in flight listens on it (a bind's runs, a page's reads at once): no limit to warn at.
  setMaxListeners(0, signal);
  return scopes.run({ signal, landed: 0, uncertain: 0 }, work);
};

/** The current request's deadline as an abort signal; `undefined` outside one (the guard, scripts). */
export const requestDeadline = (): AbortSignal | undefined => scopes.getStore()?.signal;

/** Records the end of one attempt of a write: landed, or unanswered (so it may have landed). */
export const recordWriteAttempt = (outcome: 'landed' | 'uncertain'): void => {
  const scope = scopes.getStore();
  if (scope) scope[outcome] += 1;
};

/**
 * Whether the current request may have changed the table: a write landed, or one was sent and
 * never answered. Such a request must not be answered "retry later" (`CQ.5030`).
 */
export const writeMayHaveLanded = (): boolean => {
  const scope = scopes.getStore();
  return scope !== undefined && scope.landed + scope.uncertain > 0;
};
