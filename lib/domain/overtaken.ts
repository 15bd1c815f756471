/**
 * What a store answers when a concurrent change cancelled its write, so the operation reads the
 * situation again and retries (`retryOvertaken`): one word for one idea across every store.
 */
export const OVERTAKEN = 'overtaken';

/** The type of {@link OVERTAKEN}. */
export type Overtaken = typeof OVERTAKEN;
