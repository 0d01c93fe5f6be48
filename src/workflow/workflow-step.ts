import type { Logger } from "../logger.js";
import type { RecordKind, RecordKinds, RecordStore, RecordWrite } from "../store/record-store.js";
import type { AuditRecord } from "../store/records.js";
import { retryOnConflict } from "../store/retry-on-conflict.js";

/**
 * How a workflow (a change, an environment) moves: one event at a time through its pure state
 * machine, stored before anything is carried out. The guarantees live here once: the next state is
 * committed conditional on the version read (read again when another writer, here or on another
 * replica, moved it first), and effects run only for a state that was stored, in order.
 */

/** What a state machine makes of a record and an event: the next record, its audit, its effects. */
export type Transition<R, F> = { record: R; audit: AuditRecord[]; effects: F[] };

/** A workflow's machine: the transition an event makes, or none when the event changes nothing. */
export type Machine<R, E, F> = (current: R, event: E, now: number) => Transition<R, F> | undefined;

export type StepDeps = { records: RecordStore; clock: () => number };

/** An event, or how to make it from the record as read (re-made on every retry). */
export type EventFor<R, E> = E | ((current: R) => E);

/**
 * One event through a workflow: read the record, run the machine, commit the next state
 * conditionally, then carry out its effects. Returns the record as stored, or nothing when the
 * record is gone or the event changed nothing.
 */
export async function applyStep<K extends RecordKind, E extends { type: string }, F>(
  deps: StepDeps,
  kind: K,
  machine: Machine<RecordKinds[K], E, F>,
  id: string,
  event: EventFor<RecordKinds[K], E>,
  carryOut: (effect: F, stored: RecordKinds[K]) => Promise<void>,
): Promise<RecordKinds[K] | undefined> {
  const done = await retryOnConflict(async () => {
    const current = await deps.records.get(kind, id);
    if (!current) return undefined;
    const step = machine(current, typeof event === "function" ? event(current) : event, deps.clock());
    if (!step) return undefined;
    // The write's kind and record go together (K); TypeScript cannot see that through the union.
    const write = {
      kind,
      op: "replace",
      record: step.record,
      expectedVersion: current.version,
    } as RecordWrite;
    await deps.records.commit({ writes: [write], audit: step.audit }, deps.clock());
    return { record: { ...step.record, version: current.version + 1 }, effects: step.effects };
  });
  if (!done) return undefined;
  for (const effect of done.effects) await carryOut(effect, done.record);
  return done.record;
}

/**
 * Says something in Slack without letting a failure stop the workflow: the state is already
 * stored, and what could not be said is logged (a job says it again where it matters). Answers
 * whether it was said.
 */
export async function quietly(logger: Logger, what: string, say: () => Promise<void>): Promise<boolean> {
  try {
    await say();
    return true;
  } catch (error) {
    logger.warn(`Could not post ${what} to Slack`, { error });
    return false;
  }
}
