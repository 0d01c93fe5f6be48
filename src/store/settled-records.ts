import type { ArchivedRecord } from "./record-archive.js";
import { callbackPending, type StoreData } from "./records.js";

/** An approved request whose run never showed up (a crash in between) is let go after this long. */
const ORPHANED_APPROVAL_MS = 24 * 3_600_000;
/**
 * A finished record stays live this long, so a step still under way on it (a parent message being
 * refreshed, a watch notice) finds it where it left it.
 */
export const SETTLE_AFTER_MS = 60_000;

/**
 * The records nothing will touch again: finished, and their threads and messages told. Pure: which
 * records leave the live state is decided here, how they are kept is the store's business.
 * `archived(kind, id)` says whether a record is already out of the live state.
 */
export function findSettled(
  data: StoreData,
  now: number,
  archived: (kind: "purge" | "change" | "environment", id: string) => boolean,
): ArchivedRecord[] {
  const all: ArchivedRecord[] = [];
  const settled = { push: (r: ArchivedRecord) => all.push(r) };
  const purgeDone = new Set<string>();
  for (const op of data.operations) {
    if ((op.state === "completed" || op.state === "failed") && op.announced.final && !callbackPending(op)) {
      settled.push({ kind: "purge", record: op });
      purgeDone.add(op.id);
    }
  }
  const batchesInUse = new Set(
    data.operations.filter((o) => !purgeDone.has(o.id) && o.batchId).map((o) => o.batchId),
  );
  for (const batch of data.batches) {
    if ((batch.state === "completed" || batch.state === "failed") && !batchesInUse.has(batch.id))
      settled.push({ kind: "batch", record: batch });
  }
  const changeDone = new Set<string>();
  for (const change of data.changes) {
    if (
      (change.state === "deployed" || change.state === "failed") &&
      change.announced.final &&
      !callbackPending(change)
    ) {
      settled.push({ kind: "change", record: change });
      changeDone.add(change.id);
    }
  }
  // An environment is live while it exists; once deleted (or never made) and told, it is history.
  const environmentsAtRest = new Set<string>();
  for (const env of data.environments) {
    const deleted = env.state === "deleted" && env.announced.deleted;
    const failed = env.state === "failed" && env.announced.created;
    if (deleted || failed) settled.push({ kind: "environment", record: env });
    if (deleted || failed || (env.state === "ready" && env.announced.created && !env.deletion))
      environmentsAtRest.add(env.id);
  }
  const liveRun = new Set([...data.operations, ...data.changes].map((r) => r.id));
  for (const request of data.approvals) {
    const closed =
      request.state === "rejected" || request.state === "expired" || request.state === "cancelled";
    if (closed && request.messageSettled && !callbackPending(request))
      settled.push({ kind: "approval", record: request });
    if (request.state !== "approved" || request.executedAt === undefined) continue;
    if (request.payload.kind === "environment") {
      // Its run is the environment's create or delete: the request is done with once that rests.
      const envId = request.payload.environmentId;
      const env = data.environments.find((e) => e.id === envId);
      const atRest = env
        ? environmentsAtRest.has(envId)
        : archived("environment", envId) || now - request.executedAt > ORPHANED_APPROVAL_MS;
      if (atRest) settled.push({ kind: "approval", record: request });
      continue;
    }
    // An approved request lives as long as the purge or change it started (which takes its id).
    const runFinished =
      purgeDone.has(request.id) ||
      changeDone.has(request.id) ||
      (!liveRun.has(request.id) &&
        (archived("purge", request.id) ||
          archived("change", request.id) ||
          now - request.executedAt > ORPHANED_APPROVAL_MS));
    if (runFinished) settled.push({ kind: "approval", record: request });
  }
  const cutoff = now - SETTLE_AFTER_MS;
  // A record too recently finished waits for a later pass; its approval waits with it.
  const waiting = new Set(all.filter((r) => !finishedBefore(r, cutoff)).map((r) => r.record.id));
  return all.filter((r) => !waiting.has(r.record.id));
}

/** Takes the given records out of the live state. */
export function removeSettled(data: StoreData, settled: readonly ArchivedRecord[]): void {
  const ids = (kind: ArchivedRecord["kind"]) =>
    new Set(settled.filter((s) => s.kind === kind).map((s) => s.record.id));
  const purges = ids("purge");
  const batches = ids("batch");
  const changes = ids("change");
  const approvals = ids("approval");
  const environments = ids("environment");
  data.operations = data.operations.filter((o) => !purges.has(o.id));
  data.batches = data.batches.filter((b) => !batches.has(b.id));
  data.changes = data.changes.filter((c) => !changes.has(c.id));
  data.approvals = data.approvals.filter((r) => !approvals.has(r.id));
  data.environments = data.environments.filter((e) => !environments.has(e.id));
}

/** Whether a record finished before `cutoff` (by its finish, decision or run time). */
export function finishedBefore(record: ArchivedRecord, cutoff: number): boolean {
  const r = record.record;
  const finished =
    "finishedAt" in r && typeof r.finishedAt === "number"
      ? r.finishedAt
      : "executedAt" in r && typeof r.executedAt === "number"
        ? r.executedAt
        : "decidedBy" in r && r.decidedBy
          ? r.decidedBy.at
          : "expiresAt" in r
            ? r.expiresAt
            : undefined;
  return finished !== undefined && finished < cutoff;
}
