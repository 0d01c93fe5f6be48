import { copyFile } from "node:fs/promises";
import type { Logger } from "../logger.js";
import type { AuditJournal } from "./audit-journal.js";
import type { RecordArchive } from "./record-archive.js";
import type { StoreData, StoreDataV1 } from "./records.js";
import { findSettled, finishedBefore, removeSettled } from "./settled-records.js";

export type History = { journal: AuditJournal; archive: RecordArchive };

/** Where the version-1 file is kept, untouched, after its first start on this release. */
export function v1BackupPath(file: string): string {
  return `${file}.v1.bak`;
}

/**
 * Moves a version-1 state's history out of it: the audit into the journal, finished records into the
 * archive (those past retention are dropped; the audit keeps their trail). Work in flight stays.
 * Safe to run again after a crash part-way: the original is copied aside first and not written
 * until the caller saves the result; the journal skips entries it has, the archive reads a record
 * archived twice as one.
 */
export async function migrateFromV1(
  file: string,
  v1: StoreDataV1,
  history: History,
  options: { now: number; retentionMs: number; logger: Logger },
): Promise<StoreData> {
  const backup = v1BackupPath(file);
  await copyFile(file, backup);
  await history.journal.append(v1.audit);
  const data: StoreData = {
    ...v1,
    version: 2,
    audit: [],
    auditSeq: v1.audit.reduce((max, e) => Math.max(max, e.seq), 0),
  };
  const settled = findSettled(data, options.now, () => false);
  const kept = settled.filter((r) => !finishedBefore(r, options.now - options.retentionMs));
  await history.archive.add(kept, options.now);
  removeSettled(data, settled);
  options.logger.info("Migrated the state file to version 2: history moved out of it", {
    file,
    backup,
    auditEntries: v1.audit.length,
    archived: kept.length,
    droppedPastRetention: settled.length - kept.length,
    live: {
      purges: data.operations.length,
      batches: data.batches.length,
      approvals: data.approvals.length,
      changes: data.changes.length,
    },
  });
  return data;
}
