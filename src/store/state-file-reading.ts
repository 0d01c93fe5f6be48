import { readFile } from "node:fs/promises";
import { describeIssues } from "../config/load-config.js";
import type { Logger } from "../logger.js";
import {
  emptyStoreData,
  type StoreData,
  type StoreDataV1,
  storeDataSchema,
  storeDataV1Schema,
} from "./records.js";
import { applyLogged, type LoggedChange } from "./state-files.js";

/** A state file or log that cannot be read as it is: the sentence says what to do. */
export class StoreError extends Error {
  override readonly name = "StoreError";
}

/**
 * Applies the log's changes to the state read from the last checkpoint; returns how many. A last
 * line cut short is a write that never finished, so it was never acknowledged: it is left out.
 */
export async function replayLog(file: string, data: StoreData, logger: Logger): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw new StoreError(`Cannot read the state's write-ahead log ${file}: ${String(error)}`);
  }
  const lines = text.split("\n").filter((line) => line !== "");
  let applied = 0;
  for (const [i, line] of lines.entries()) {
    let change: LoggedChange & { s: number };
    try {
      change = JSON.parse(line) as LoggedChange & { s: number };
    } catch {
      if (i === lines.length - 1 && !text.endsWith("\n")) break;
      throw new StoreError(
        `The state's write-ahead log ${file} is damaged at line ${i + 1}. Restore the state directory from a backup.`,
      );
    }
    // Already in the checkpoint (a crash came after the file was written, before the log emptied).
    if (change.s <= data.walSeq) continue;
    try {
      applyLogged(data, change);
      data.walSeq = change.s;
      applied++;
    } catch (error) {
      data.walSeq = change.s;
      // Its conditions held when it was made, on this same state: only a hand-edited file differs.
      logger.warn("A logged change no longer applies to the state file; skipped", { line: i + 1, error });
    }
  }
  return applied;
}

/**
 * The state file as it was last written: empty data when there is none yet; refused, in words, when
 * it is empty, not JSON, from a newer cdnbot or not cdnbot state (it may hold work: never overwritten).
 */
export async function readStateFile(file: string): Promise<StoreData | StoreDataV1> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyStoreData();
    throw new StoreError(`Cannot read the state file ${file}: ${String(error)}`);
  }
  // Only a missing file means a fresh install: an empty one lost what it held, and may hold work.
  if (text.trim() === "") {
    throw new StoreError(
      `The state file ${file} is empty, so the state it held is lost or was never written. ` +
        "Restore it from a backup; if this really is a fresh install, delete the empty file.",
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // Never overwrite a state file we cannot read: it may hold in-flight work.
    throw new StoreError(
      `The state file ${file} is not valid JSON (${(error as Error).message}). ` +
        "Restore it from a backup or move it aside to start with an empty state.",
    );
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === "number" && version > 2) {
    throw new StoreError(
      `The state file ${file} was written by a newer cdnbot (state version ${version}). Run that release, or restore a backup made for this one.`,
    );
  }
  const parsed = (version === 2 ? storeDataSchema : storeDataV1Schema).safeParse(raw);
  if (!parsed.success) {
    throw new StoreError(
      `The state file ${file} does not look like cdnbot state:\n${describeIssues(parsed.error.issues)
        .map((p) => `  - ${p}`)
        .join("\n")}`,
    );
  }
  return parsed.data;
}
