import { mkdir, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { monthOf } from "./calendar-month.js";
import { type AppendedLine, appendLines, monthFiles, readLineAt, scanLinePrefixes } from "./jsonl-files.js";
import {
  type ApprovalRequest,
  approvalRequestSchema,
  type ChangeOperation,
  changeOperationSchema,
  type Environment,
  environmentSchema,
  type PurgeBatch,
  type PurgeOperation,
  purgeBatchSchema,
  purgeOperationSchema,
} from "./records.js";

/** A record that is finished with: kept for lookups (a late click, a rollback) until its retention ends. */
export type ArchivedRecord =
  | { kind: "purge"; record: PurgeOperation }
  | { kind: "batch"; record: PurgeBatch }
  | { kind: "approval"; record: ApprovalRequest }
  | { kind: "change"; record: ChangeOperation }
  | { kind: "environment"; record: Environment };
export type ArchivedKind = ArchivedRecord["kind"];
type RecordTypes = {
  purge: PurgeOperation;
  batch: PurgeBatch;
  approval: ApprovalRequest;
  change: ChangeOperation;
  environment: Environment;
};

const SCHEMAS = {
  purge: purgeOperationSchema,
  batch: purgeBatchSchema,
  approval: approvalRequestSchema,
  change: changeOperationSchema,
  environment: environmentSchema,
} as const;

/** The last moment of a `2026-11` month, in UTC. */
function monthEnd(month: string): number {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return Date.UTC(year, m, 1) - 1;
}

/**
 * Finished records as JSON Lines, a file per month they were archived in, with an index of where each
 * one is: memory and start-up grow with what is retained (ids and offsets), never with what the
 * records hold. A month file goes as a whole once its newest record is past retention.
 */
export class RecordArchive {
  /**
   * Per month file, each record's place packed in one number (offset × 2^20 + length): an entry costs
   * its id and a number, so the index stays a few MB for a busy month.
   */
  private readonly months = new Map<string, Map<string, number>>();
  /** The rare line of 1 MB or more, whose length does not fit the packing. */
  private readonly long = new Map<string, AppendedLine>();

  private constructor(
    private readonly dir: string,
    private readonly retentionMs: number,
  ) {}

  static async open(dir: string, retentionMs: number, now: number): Promise<RecordArchive> {
    await mkdir(dir, { recursive: true });
    const archive = new RecordArchive(dir, retentionMs);
    await archive.prune(now);
    for (const { file } of await monthFiles(dir)) {
      await scanLinePrefixes(file, (prefix, at) => {
        const key = keyOfLine(prefix);
        if (key) archive.place(file, key, at);
      });
    }
    return archive;
  }

  get size(): number {
    let total = 0;
    for (const index of this.months.values()) total += index.size;
    return total;
  }

  has(kind: ArchivedKind, id: string): boolean {
    return this.find(`${kind}:${id}`) !== undefined;
  }

  /** Appends and syncs before resolving; a record archived twice (a crash between) reads as its last copy. */
  async add(records: readonly ArchivedRecord[], now: number): Promise<void> {
    if (records.length === 0) return;
    const file = join(this.dir, `${monthOf(now)}.jsonl`);
    // `kind` first and the record's `id` first in it: the index reads both from the line's start.
    const placed = await appendLines(
      file,
      records.map((r) => {
        const { id, ...rest } = r.record;
        return JSON.stringify({ kind: r.kind, record: { id, ...rest } });
      }),
    );
    records.forEach((r, i) => {
      this.place(file, `${r.kind}:${r.record.id}`, placed[i]!);
    });
  }

  async get<K extends ArchivedKind>(kind: K, id: string): Promise<RecordTypes[K] | undefined> {
    const where = this.find(`${kind}:${id}`);
    if (!where) return undefined;
    const line = JSON.parse(await readLineAt(where.file, where.at)) as { record: unknown };
    return SCHEMAS[kind].parse(line.record) as RecordTypes[K];
  }

  /**
   * Every retained record (the last copy of each), with when it was archived: the end of its month
   * file's month, or `now` in the current month (retention is counted from the month's end).
   */
  async *all(now: number): AsyncGenerator<{ archived: ArchivedRecord; archivedAt: number }> {
    const seen = new Set<string>();
    for (const [file, index] of [...this.months].reverse()) {
      const archivedAt = Math.min(monthEnd(basename(file, ".jsonl")), now);
      for (const key of index.keys()) {
        if (seen.has(key)) continue;
        seen.add(key);
        const kind = key.slice(0, key.indexOf(":")) as ArchivedKind;
        const record = await this.get(kind, key.slice(kind.length + 1));
        if (record) yield { archived: { kind, record } as ArchivedRecord, archivedAt };
      }
    }
  }

  /** Drops every month file whose newest possible record is past retention. */
  async prune(now: number): Promise<number> {
    let dropped = 0;
    for (const { month, file } of await monthFiles(this.dir)) {
      if (monthEnd(month) + this.retentionMs >= now) continue;
      await rm(file, { force: true });
      this.months.delete(file);
      for (const key of this.long.keys()) if (key.startsWith(`${file}\n`)) this.long.delete(key);
      dropped++;
    }
    return dropped;
  }

  private place(file: string, key: string, at: AppendedLine): void {
    let index = this.months.get(file);
    if (!index) {
      index = new Map();
      this.months.set(file, index);
    }
    // A copy: the key was cut from a longer string, which a slice would keep alive.
    const own = JSON.parse(JSON.stringify(key)) as string;
    if (at.length < LENGTH_LIMIT) index.set(own, at.offset * LENGTH_LIMIT + at.length);
    else {
      index.set(own, -1);
      this.long.set(`${file}\n${own}`, at);
    }
  }

  private find(key: string): { file: string; at: AppendedLine } | undefined {
    // Newest month first: a record archived twice reads as its last copy.
    for (const [file, index] of [...this.months].reverse()) {
      const packed = index.get(key);
      if (packed === undefined) continue;
      if (packed < 0) {
        const at = this.long.get(`${file}\n${key}`);
        return at ? { file, at } : undefined;
      }
      return { file, at: { offset: Math.floor(packed / LENGTH_LIMIT), length: packed % LENGTH_LIMIT } };
    }
    return undefined;
  }
}

const LENGTH_LIMIT = 2 ** 20;

// A line starts `{"kind":"purge","record":{"id":"…"` (written by `add`, in that key order): the
// index reads the kind and id from the start of each line without parsing the record.
const LINE_KEY = /^\{"kind":"(purge|batch|approval|change|environment)","record":\{"id":"((?:[^"\\]|\\.)*)"/;

function keyOfLine(prefix: string): string | undefined {
  const match = LINE_KEY.exec(prefix);
  if (!match) return undefined; // a torn append, or an id too long for the prefix
  const id = match[2]!;
  return `${match[1]}:${id.includes("\\") ? (JSON.parse(`"${id}"`) as string) : id}`;
}
