import { ConflictError } from "./record-store.js";

/**
 * Runs a read-decide-commit step again when its commit lost a race (another request or replica moved
 * a record it read): each attempt reads afresh, so the decision is made on what is there now.
 */
export async function retryOnConflict<T>(step: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error;
    }
  }
}
