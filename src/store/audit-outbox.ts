import type { AuditEntry, AuditRecord, StoreData } from "./records.js";

/** Appends inside a store update that is already running, so the entry lands with the change it records. */
export function appendAudit(data: StoreData, at: number, record: AuditRecord): AuditEntry {
  data.auditSeq = Math.max(data.auditSeq, data.audit.at(-1)?.seq ?? 0) + 1;
  const entry: AuditEntry = { seq: data.auditSeq, at, ...record };
  data.audit.push(entry);
  return entry;
}
