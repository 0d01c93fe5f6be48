import type { AuditEntry, StoreData } from "../store/records.js";
import type { StateStore } from "../store/state-store.js";

export type AuditRecord = Omit<AuditEntry, "seq" | "at">;

/** Appends inside a store update that is already running, so the entry lands with the change it records. */
export function appendAudit(data: StoreData, at: number, record: AuditRecord): AuditEntry {
  const entry: AuditEntry = { seq: (data.audit.at(-1)?.seq ?? 0) + 1, at, ...record };
  data.audit.push(entry);
  return entry;
}

export function recordAudit(store: StateStore, at: number, record: AuditRecord): Promise<AuditEntry> {
  return store.update((data) => appendAudit(data, at, record));
}

export type AuditQuery = { distributionId?: string; since?: number; limit?: number };

/** Newest last, as the log reads. */
export function queryAudit(entries: readonly AuditEntry[], query: AuditQuery = {}): AuditEntry[] {
  const matching = entries.filter(
    (e) =>
      (query.distributionId === undefined || e.distributionId === query.distributionId) &&
      (query.since === undefined || e.at >= query.since),
  );
  return query.limit === undefined ? matching : matching.slice(-query.limit);
}
