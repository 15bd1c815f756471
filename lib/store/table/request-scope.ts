import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Time kept back from a function's deadline for its answer: the SDK sleeps up to 200 ms + 400 ms
 * between attempts without looking at the deadline, then the error is mapped, logged and sent.
 */
export const DEADLINE_MARGIN_MS = 800;

/** DynamoDB calls of one request: the deadline they share, and what became of its writes. */
interface RequestScope {
  /** `Date.now()` past which no call is sent and a call in flight is abandoned. */
  readonly deadlineAt: number;
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
export const withRequestDeadline = <T>(remainingMs: number, work: () => Promise<T>): Promise<T> =>
  scopes.run({ deadlineAt: Date.now() + remainingMs - DEADLINE_MARGIN_MS, landed: 0, uncertain: 0 }, work);

/** Milliseconds left for DynamoDB in the current request; `undefined` outside one (the guard, scripts). */
export const timeLeftMs = (): number | undefined => {
  const scope = scopes.getStore();
  return scope && scope.deadlineAt - Date.now();
};

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
