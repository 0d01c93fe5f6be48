import { ConflictError } from "./record-store.js";

export type RetryOptions = {
  /** How many tries before the conflict is the caller's to handle. */
  attempts?: number;
  /** The jitter's source (injected where a test wants it stable). */
  random?: () => number;
};

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs a read-decide-commit step again when its commit lost a race (another request or replica moved
 * a record it read): each attempt reads afresh, so the decision is made on what is there now. Many
 * writers meeting on one record (a burst joining one batch) each lose about as often as there are
 * writers, so the tries are many and spaced by a jittered, growing pause (at most 200 ms): the
 * herd spreads out instead of colliding again on the next millisecond.
 */
export async function retryOnConflict<T>(step: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 40;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error;
      await pause(Math.round(random() * Math.min(5 * 2 ** (attempt - 1), 200)));
    }
  }
}
