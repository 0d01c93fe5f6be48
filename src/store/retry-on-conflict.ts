import {
  ConflictError,
  type RecordKind,
  type RecordKinds,
  type RecordStore,
  type RecordWrite,
} from "./record-store.js";
import type { AuditRecord } from "./records.js";

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
