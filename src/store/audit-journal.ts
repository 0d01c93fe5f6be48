import { mkdir } from "node:fs/promises";
import { monthOf } from "./calendar-month.js";
import { appendLines, linesBackward, monthFiles } from "./jsonl-files.js";
import { type AuditEntry, auditEntrySchema } from "./records.js";

export type AuditQuery = { distributionId?: string; since?: number; limit?: number };

/** The entries matching a query, oldest first; with a limit, the newest `limit` of them. */
export function queryAudit(entries: readonly AuditEntry[], query: AuditQuery = {}): AuditEntry[] {
  const matching = entries.filter(
    (e) =>
      (query.distributionId === undefined || e.distributionId === query.distributionId) &&
      (query.since === undefined || e.at >= query.since),
  );
  return query.limit === undefined ? matching : matching.slice(-query.limit);
}

/** Reads the audit log, newest entry first, without loading more of it than the answer needs. */
export interface AuditReader {
  query(query: AuditQuery): Promise<AuditEntry[]>;
}

/** A reader whose entries can be streamed, newest first (the export). */
export interface AuditStream extends AuditReader {
  entries(query: AuditQuery): AsyncIterable<AuditEntry>;
}

/** The audit log of an in-memory store (tests, tools): the entries in its state. */
export function auditReaderOver(entries: () => readonly AuditEntry[]): AuditReader {
  return { query: async (query) => queryAudit(entries(), query).reverse() };
}

/**
 * The journal and the entries not yet in it (the state's outbox, or a version-1 file's whole log),
 * read as one log, newest first.
 */
export function journalWithPending(journal: AuditJournal, pending: () => readonly AuditEntry[]): AuditStream {
  async function* entries(query: AuditQuery): AsyncGenerator<AuditEntry> {
    const waiting = pending().filter((e) => e.seq > journal.lastSeq);
    const newest = queryAudit(waiting, query).reverse();
    yield* newest;
    const left = query.limit === undefined ? undefined : query.limit - newest.length;
    if (left !== undefined && left <= 0) return;
    yield* journal.entries({ ...query, ...(left !== undefined ? { limit: left } : {}) });
  }
  return {
    entries,
    async query(query) {
      const found: AuditEntry[] = [];
      for await (const entry of entries(query)) found.push(entry);
      return found;
    },
  };
}

function parseEntry(line: string): AuditEntry | undefined {
  try {
    const parsed = auditEntrySchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // A torn last line from a crash mid-append: the entry is still in the state's outbox.
    return undefined;
  }
}

/**
 * The audit log as append-only JSON Lines, a file per month (`audit/2026-11.jsonl`). Entries arrive
 * from the state's outbox after the state that records them is saved; each carries a sequence number,
 * so an entry appended before a crash and offered again after it is written once.
 */
export class AuditJournal implements AuditReader {
  private constructor(
    private readonly dir: string,
    private last: number,
  ) {}

  static async open(dir: string): Promise<AuditJournal> {
    await mkdir(dir, { recursive: true });
    return new AuditJournal(dir, await lastSeqIn(dir));
  }

  /** For readers beside the bot: creates nothing (a missing directory is an empty log). */
  static async openReadOnly(dir: string): Promise<AuditJournal> {
    return new AuditJournal(dir, await lastSeqIn(dir));
  }

  /** The sequence number of the newest entry on disk; 0 for an empty log. */
  get lastSeq(): number {
    return this.last;
  }

  /** Appends what is new (by sequence number) and syncs it to disk before resolving. */
  async append(entries: readonly AuditEntry[]): Promise<void> {
    const fresh = entries.filter((e) => e.seq > this.last).sort((a, b) => a.seq - b.seq);
    const byMonth = new Map<string, string[]>();
    for (const entry of fresh) {
      const month = monthOf(entry.at);
      const lines = byMonth.get(month) ?? [];
      lines.push(JSON.stringify(entry));
      byMonth.set(month, lines);
    }
    for (const [month, lines] of byMonth) await appendLines(`${this.dir}/${month}.jsonl`, lines);
    const newest = fresh.at(-1);
    if (newest) this.last = newest.seq;
  }

  async query(query: AuditQuery): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    for await (const entry of this.entries(query)) found.push(entry);
    return found;
  }

  /** Matching entries, newest first, read lazily from the end of the newest month file backwards. */
  async *entries(query: AuditQuery): AsyncGenerator<AuditEntry> {
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    let count = 0;
    const sinceMonth = query.since === undefined ? undefined : monthOf(query.since);
    for (const { month, file } of (await monthFiles(this.dir)).reverse()) {
      if (sinceMonth !== undefined && month < sinceMonth) return;
      for await (const line of linesBackward(file)) {
        const entry = parseEntry(line);
        if (!entry) continue;
        if (query.since !== undefined && entry.at < query.since) return;
        if (query.distributionId !== undefined && entry.distributionId !== query.distributionId) continue;
        yield entry;
        if (++count >= limit) return;
      }
    }
  }
}

async function lastSeqIn(dir: string): Promise<number> {
  for (const { file } of (await monthFiles(dir)).reverse()) {
    for await (const line of linesBackward(file)) {
      const entry = parseEntry(line);
      if (entry) return entry.seq;
    }
  }
  return 0;
}
