import {
  ConflictError,
  type RecordKind,
  type RecordKinds,
  type RecordStore,
  type RecordWrite,
} from "./record-store.js";
import type { AuditRecord } from "./records.js";

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

/** What a state machine makes of a record and an event: the next record, its audit, its effects. */
export type Transition<R, E> = { record: R; audit: AuditRecord[]; effects: E[] };

/**
 * One event through a workflow's state machine, the way every runner applies it: read the record,
 * decide, commit the next state conditional on the version read (reading again when another writer
 * moved it first), and hand back the record as stored with the effects to carry out.
 */
export async function commitTransition<K extends RecordKind, E>(
  records: RecordStore,
  kind: K,
  id: string,
  clock: () => number,
  decide: (current: RecordKinds[K]) => Transition<RecordKinds[K], E> | undefined,
): Promise<{ record: RecordKinds[K]; effects: E[] } | undefined> {
  return retryOnConflict(async () => {
    const current = await records.get(kind, id);
    if (!current) return undefined;
    const step = decide(current);
    if (!step) return undefined;
    // The write's kind and record go together (K); TypeScript cannot see that through the union.
    const write = {
      kind,
      op: "replace",
      record: step.record,
      expectedVersion: current.version,
    } as RecordWrite;
    await records.commit({ writes: [write], audit: step.audit }, clock());
    return { record: { ...step.record, version: current.version + 1 }, effects: step.effects };
  });
}
