import type { ArchivedRecord } from "./record-archive.js";
import { alertStateId, type RecordKind, type RecordKinds } from "./record-store.js";
import type { AuditEntry, StoreData } from "./records.js";

/**
 * Moving a bot's state from one store to another (`npm run migrate -- --to dynamodb`): its live
 * records, its finished records still retained, its audit log with the numbers and times it has, and
 * the paths billed per month. Leases and Slack trigger claims are not moved: they last seconds to
 * minutes, and the bot is stopped while it moves.
 */
export type StoreSnapshot = {
  data: StoreData;
  /** Finished records, each with when it was archived (its retention counts from then). */
  archived: AsyncIterable<{ archived: ArchivedRecord; archivedAt: number }>;
  /** Every audit entry, in any order. */
  audit: AsyncIterable<AuditEntry>;
};

/** What an import found where it wrote: nothing (copied), the same thing (a re-run), or something else. */
export type ImportOutcome = "copied" | "same" | "different";

/** What a store must offer to be moved into. Each write is made only where nothing is yet. */
export interface ImportTarget {
  importRecord<K extends RecordKind>(
    kind: K,
    record: RecordKinds[K],
    created: number,
  ): Promise<ImportOutcome>;
  importArchived(archived: ArchivedRecord, archivedAt: number): Promise<ImportOutcome>;
  importAudit(entry: AuditEntry): Promise<ImportOutcome>;
  importPathsBilled(month: string, paths: number): Promise<ImportOutcome>;
  /** New audit entries are numbered after `seq`, so none reuses a moved entry's number. */
  reserveAuditUpTo(seq: number): Promise<void>;
}

export type TransferReport = {
  /** Copied now, by what they are ("purge", "archived approval", "audit entry", "billed month"…). */
  copied: Record<string, number>;
  /** Already there, the same: a migration run again after an interruption. */
  same: number;
  /** Already there and different: the target was in use; these were left as they were. */
  different: string[];
};

/**
 * Live records of each kind, with their place in the state file's order: lists give records oldest
 * first, and these small numbers keep them in that order, before anything the bot adds later.
 */
function liveRecords(
  data: StoreData,
): { kind: RecordKind; record: RecordKinds[RecordKind]; created: number }[] {
  return [
    ...data.operations.map((record, i) => ({ kind: "purge" as const, record, created: i })),
    ...data.batches.map((record, i) => ({ kind: "batch" as const, record, created: i })),
    ...data.approvals.map((record, i) => ({ kind: "approval" as const, record, created: i })),
    ...data.changes.map((record, i) => ({ kind: "change" as const, record, created: i })),
    ...data.environments.map((record, i) => ({ kind: "environment" as const, record, created: i })),
    ...data.watches.map((record, i) => ({ kind: "watch" as const, record, created: i })),
    ...data.reviews.map((record, i) => ({ kind: "review" as const, record, created: i })),
    ...data.steps.map((record, i) => ({ kind: "step" as const, record, created: i })),
    ...data.alertStates.map((state, i) => ({
      kind: "alert" as const,
      record: { ...state, id: alertStateId(state.watchId, state.metric) },
      created: i,
    })),
  ];
}

/** Runs `work` over the items with at most `width` at once (the target is a network store). */
async function eachLimited<T>(
  items: AsyncIterable<T> | T[],
  width: number,
  work: (item: T) => Promise<void>,
) {
  const running = new Set<Promise<void>>();
  for await (const item of items) {
    const job = work(item).finally(() => running.delete(job));
    running.add(job);
    if (running.size >= width) await Promise.race(running);
  }
  await Promise.all(running);
}

/**
 * Copies the snapshot into the target. Safe to run again: what is there already and the same is
 * counted as such; what is there and different is reported and never overwritten.
 */
export async function transferStore(snapshot: StoreSnapshot, target: ImportTarget): Promise<TransferReport> {
  const report: TransferReport = { copied: {}, same: 0, different: [] };
  const tally = (what: string, label: string, outcome: ImportOutcome) => {
    if (outcome === "copied") report.copied[what] = (report.copied[what] ?? 0) + 1;
    else if (outcome === "same") report.same++;
    else report.different.push(label);
  };
  await eachLimited(liveRecords(snapshot.data), 16, async ({ kind, record, created }) => {
    tally(kind, `${kind} ${record.id}`, await target.importRecord(kind, record, created));
  });
  await eachLimited(snapshot.archived, 16, async ({ archived, archivedAt }) => {
    const what = `finished ${archived.kind}`;
    tally(what, `${what} ${archived.record.id}`, await target.importArchived(archived, archivedAt));
  });
  let lastSeq = snapshot.data.auditSeq;
  await eachLimited(snapshot.audit, 16, async (entry) => {
    lastSeq = Math.max(lastSeq, entry.seq);
    tally("audit entry", `audit entry ${entry.seq}`, await target.importAudit(entry));
  });
  await target.reserveAuditUpTo(lastSeq);
  for (const [month, paths] of Object.entries(snapshot.data.pathsBilled))
    tally("billed month", `paths billed in ${month}`, await target.importPathsBilled(month, paths));
  return report;
}
