import { applyClaim, applyCommit } from "./commit-document.js";
import type { Commit } from "./record-store.js";
import type { StoreData } from "./records.js";

/**
 * Where a state file's parts live and what its write-ahead log holds: the log is a line per group
 * of changes, each change data (never a closure), replayed on the last checkpoint at start.
 */

/** How long finished records are kept for lookups when the config does not say. */
export const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;

/** Where the history of a state file lives: beside it, named after it. */
export function historyDirs(file: string): { audit: string; archive: string } {
  const base = file.replace(/\.json$/, "");
  return { audit: `${base}.audit`, archive: `${base}.finished` };
}

/**
 * A change to the state as the write-ahead log keeps it: data, never a closure, so a restart can
 * apply it again to the last checkpoint.
 */
export type LoggedChange =
  | { type: "commit"; commit: Commit; at: number }
  | { type: "claim"; triggerId: string; until: number; now: number };

/**
 * A copy of the state that a logged change cannot reach into: the fields it changes in place are
 * copied, the collections it replaces (never mutates) are shared. Trigger claims are the exception:
 * a claim in a group that is undone stays, as the record store decided it in memory already and
 * holds it there; an extra claim only refuses a replay of a request that was answered.
 */
export function copyForLogged(data: StoreData): StoreData {
  return { ...data, audit: [...data.audit], pathsBilled: { ...data.pathsBilled } };
}

export function applyLogged(data: StoreData, change: LoggedChange): void {
  if (change.type === "commit") applyCommit(data, change.commit, change.at);
  else applyClaim(data, change.triggerId, change.until);
}

/** The state file is rewritten (a checkpoint, emptying the log) after this many logged changes. */
export const CHECKPOINT_EVERY = 500;

/** Where a state file's write-ahead log lives: beside it. */
export function walFile(file: string): string {
  return `${file.replace(/\.json$/, "")}.wal`;
}
