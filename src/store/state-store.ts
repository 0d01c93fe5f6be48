import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { Low, Memory } from "lowdb";
import { JSONFile } from "lowdb/node";
import { type Logger, silentLogger } from "../logger.js";
import {
  AuditJournal,
  type AuditReader,
  type AuditStream,
  auditReaderOver,
  journalWithPending,
} from "./audit-journal.js";
import { unexpiredClaims } from "./commit-document.js";
import { type History, migrateFromV1 } from "./migrate-state.js";
import { type ArchivedKind, type ArchivedRecord, RecordArchive } from "./record-archive.js";
import {
  type ApprovalRequest,
  type ChangeOperation,
  type Environment,
  emptyStoreData,
  type PurgeBatch,
  type PurgeOperation,
  type StoreData,
} from "./records.js";
import { findSettled, removeSettled } from "./settled-records.js";
import { readStateFile, replayLog, StoreError } from "./state-file-reading.js";
import {
  applyLogged,
  CHECKPOINT_EVERY,
  copyForLogged,
  DEFAULT_RETENTION_MS,
  historyDirs,
  type LoggedChange,
  walFile,
} from "./state-files.js";

export { StoreError };

export type OpenOptions = { logger?: Logger; retentionMs?: number; clock?: () => number };

type ArchivedTypes = {
  purge: PurgeOperation;
  batch: PurgeBatch;
  approval: ApprovalRequest;
  change: ChangeOperation;
  environment: Environment;
};

type GroupEntry = {
  mutate: (data: StoreData) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** A change the write-ahead log can hold (and replay); without it, the update needs a full write. */
  logged?: LoggedChange;
};

type Group = GroupEntry[];

/**
 * The bot's durable state. Every change goes through `update`, which mutates the data and writes the
 * whole file before resolving, so a caller that awaited an update knows it survives a crash. An
 * update that cannot be written is undone in memory too: what the bot did not save, it never does.
 */
export class StateStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: Low<StoreData>,
    private readonly file?: string,
    private readonly logger: Logger = silentLogger,
    private readonly history?: History,
  ) {}

  /**
   * Opens the state file (a missing one is a fresh install), its audit journal and its archive of
   * finished records; a version-1 file is migrated on the way, its original kept beside it.
   */
  static async open(file: string, options: OpenOptions = {}): Promise<StateStore> {
    const logger = options.logger ?? silentLogger;
    const now = (options.clock ?? Date.now)();
    const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    await mkdir(dirname(file), { recursive: true });
    const existing = await readStateFile(file);
    const dirs = historyDirs(file);
    const history: History = {
      journal: await AuditJournal.open(dirs.audit),
      archive: await RecordArchive.open(dirs.archive, retentionMs, now),
    };
    const initial =
      existing.version === 2
        ? existing
        : await migrateFromV1(file, existing, history, { now, retentionMs, logger });
    // What was acknowledged after the last checkpoint is in the log: applied again, in order.
    const replayed = await replayLog(walFile(file), initial, logger);
    // Built explicitly: JSONFilePreset swaps in a memory adapter under NODE_ENV=test.
    const db = new Low<StoreData>(new JSONFile<StoreData>(file), initial);
    db.data = initial;
    const store = new StateStore(db, file, logger, history);
    // A checkpoint of everything replayed, then an empty log to append to.
    await store.persist();
    await store.openLog();
    if (replayed > 0) logger.info("Replayed the state's write-ahead log", { changes: replayed });
    await store.drainAudit();
    return store;
  }

  /** Reads the audit log of a state file without writing anything, for tools that run beside the bot. */
  static async readAudit(file: string): Promise<AuditStream> {
    const state = await readStateFile(file);
    const journal = await AuditJournal.openReadOnly(historyDirs(file).audit);
    return journalWithPending(journal, () => state.audit);
  }

  static inMemory(data: StoreData = emptyStoreData()): StateStore {
    const db = new Low<StoreData>(new Memory<StoreData>(), data);
    db.data = data;
    return new StateStore(db);
  }

  get data(): Readonly<StoreData> {
    return this.db.data;
  }

  /** The audit log, newest first. */
  get audit(): AuditReader {
    const history = this.history;
    if (!history) return auditReaderOver(() => this.db.data.audit);
    const reader = journalWithPending(history.journal, () => this.db.data.audit);
    return {
      query: async (query) => {
        await this.queue;
        return reader.query(query);
      },
    };
  }

  /** Whether a record has left the live state for the archive (and is still retained). */
  isArchived(kind: ArchivedKind, id: string): boolean {
    return this.history?.archive.has(kind, id) ?? false;
  }

  /** A finished record that has left the live state, while its retention lasts. */
  async findArchived<K extends ArchivedKind>(kind: K, id: string): Promise<ArchivedTypes[K] | undefined> {
    return (await this.history?.archive.get(kind, id)) as ArchivedTypes[K] | undefined;
  }

  /** Every finished record still retained, with when it was archived (for moving to another store). */
  async *archivedRecords(now: number): AsyncGenerator<{ archived: ArchivedRecord; archivedAt: number }> {
    if (this.history) yield* this.history.archive.all(now);
  }

  /**
   * Moves the records nothing will touch again out of the live state into the archive, and drops
   * archive months past retention. Runs in the update queue; returns how many records moved.
   */
  settle(now: number): Promise<number> {
    const history = this.history;
    if (!history) return Promise.resolve(0);
    return this.inTurn(async () => {
      const settled = findSettled(this.db.data, now, (kind, id) => history.archive.has(kind, id));
      if (settled.length > 0) {
        // Archived (and synced) before they leave the state: a crash in between keeps both copies.
        await history.archive.add(settled, now);
        await this.mutateAndSave((data) => removeSettled(data, settled));
      }
      await history.archive.prune(now);
      return settled.length;
    });
  }

  /**
   * Applies `mutate` and persists; updates run one at a time in call order. If the mutation throws or
   * the file cannot be written, the data is as it was before and the caller gets the error.
   *
   * Group commit: updates asked for while a write is under way wait for it together and are saved
   * by the next write, as one. A burst of a hundred requests costs a few writes of the file instead
   * of a hundred, and each caller still resolves only once its own change is on disk.
   */
  update<T>(mutate: (data: StoreData) => T): Promise<T> {
    return this.join({ mutate }) as Promise<T>;
  }

  private openGroup: Group | undefined;
  /** The latest time a claim was made at: claims that expired by then are dropped at a checkpoint. */
  private claimsNow = 0;
  /** The write-ahead log (absent in memory), and how many changes it holds since the checkpoint. */
  private wal: FileHandle | undefined;
  private walCount = 0;

  /**
   * A change the write-ahead log can hold (a record store commit, a trigger claim): applied in
   * memory and made durable by appending one line to the log, in a group with whatever else came
   * meanwhile, rather than by rewriting the whole file. Resolves once it is on disk.
   */
  log(change: LoggedChange): Promise<void> {
    if (change.type === "claim") this.claimsNow = Math.max(this.claimsNow, change.now);
    const mutate = (data: StoreData) => {
      applyLogged(data, change);
      data.walSeq += 1;
      return data.walSeq;
    };
    return this.join({ mutate, logged: change }).then(() => undefined);
  }

  private join(entry: Omit<GroupEntry, "resolve" | "reject">): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let group = this.openGroup;
      if (!group) {
        const opened: Group = [];
        group = opened;
        this.openGroup = opened;
        void this.inTurn(() => this.commitGroup(opened));
      }
      group.push({ ...entry, resolve, reject });
    });
  }

  /** Applies a group's updates in order, saves them in one write, then answers each caller. */
  private async commitGroup(group: Group): Promise<void> {
    // From here on, updates asked for join the next group.
    if (this.openGroup === group) this.openGroup = undefined;
    // What to go back to if the group cannot be saved. Logged changes only replace collections and
    // append to a few fields (see commit-document.ts), so a shallow copy of those is enough: a
    // deep copy of the whole state per group was a fifth of the ack path's CPU under a burst.
    const logged = group.every((e) => e.logged !== undefined);
    const copy = logged ? copyForLogged : (data: StoreData) => structuredClone(data);
    const before = copy(this.db.data);
    const applied: { entry: GroupEntry; result: unknown }[] = [];
    for (const entry of group) {
      try {
        applied.push({ entry, result: entry.mutate(this.db.data) });
      } catch (error) {
        // Undo whatever this one half did: back to the start of the group, the others again.
        this.db.data = copy(before);
        for (const done of applied) done.entry.mutate(this.db.data);
        entry.reject(error);
      }
    }
    if (applied.length === 0) return;
    try {
      await this.save(applied.map((a) => a.entry));
    } catch (error) {
      this.db.data = before;
      for (const done of applied) done.entry.reject(error);
      return;
    }
    await this.drainAudit();
    for (const done of applied) done.entry.resolve(done.result);
  }

  /**
   * Saves a group: its lines appended to the log when every change in it is a logged one, else
   * (or when the log has grown long) the whole file, as a checkpoint that empties the log.
   */
  private async save(entries: GroupEntry[]): Promise<void> {
    const wal = this.wal;
    const logged = entries.map((e) => e.logged);
    if (wal && this.walCount + logged.length <= CHECKPOINT_EVERY && logged.every((c) => c !== undefined)) {
      // The group's changes took the sequence numbers up to the document's walSeq, in order.
      const first = this.db.data.walSeq - logged.length + 1;
      const lines = logged.map((c, i) => `${JSON.stringify({ s: first + i, ...c })}\n`).join("");
      const { size, nlink } = await wal.stat();
      if (nlink === 0) {
        // The log was removed under the running bot (its directory with it): appending would write
        // into a file nobody can read. Write everything instead, which recreates the directory.
        await wal.close().catch(() => undefined);
        this.wal = undefined;
        await this.persist();
        await this.openLog();
        return;
      }
      try {
        await wal.write(lines);
      } catch (error) {
        // A line cut short would stop the replay there: leave the log as it was.
        await wal.truncate(size).catch(() => undefined);
        throw this.writeError(error);
      }
      this.walCount += logged.length;
      return;
    }
    await this.persist();
  }

  /** Runs `work` after everything queued before it; a failure is the caller's, not the queue's. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Mutates and saves, or leaves the data as it was: what the bot did not save, it never does. */
  private async mutateAndSave<T>(mutate: (data: StoreData) => T): Promise<T> {
    const before = structuredClone(this.db.data);
    try {
      const result = mutate(this.db.data);
      await this.persist();
      return result;
    } catch (error) {
      this.db.data = before;
      throw error;
    }
  }

  /**
   * Appends the saved outbox to the audit journal. A failure leaves the entries in the outbox (which
   * is saved with the state) for the next update: the entry is never lost, only late.
   */
  private async drainAudit(): Promise<void> {
    const journal = this.history?.journal;
    if (!journal || this.db.data.audit.length === 0) return;
    try {
      await journal.append(this.db.data.audit);
      // Left out of the file by the next save; until then a restart offers them again, and the
      // journal skips them by sequence number.
      this.db.data.audit = this.db.data.audit.filter((e) => e.seq > journal.lastSeq);
    } catch (error) {
      this.logger.warn("Could not append to the audit journal; will retry on the next update", { error });
    }
  }

  /** Opens an empty write-ahead log beside the file, right after a checkpoint holding everything. */
  private async openLog(): Promise<void> {
    this.wal = await open(walFile(this.file!), "a");
    await this.wal.truncate(0);
    this.walCount = 0;
  }

  /** Writes the whole file: a checkpoint, after which the log is emptied (the file holds it all). */
  private async persist(): Promise<void> {
    await this.writeFile();
    if (this.wal) {
      await this.wal.truncate(0);
      this.walCount = 0;
    }
  }

  private async writeFile(): Promise<void> {
    // Claims past their time mean nothing; they are dropped when the whole file is written, not
    // per claim (which walked them all for each request).
    this.db.data.seenTriggers = unexpiredClaims(this.db.data.seenTriggers, this.claimsNow);
    try {
      await this.db.write();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" && this.file) {
        // The data directory was removed under the running bot: recreate it and write everything
        // the bot holds, so nothing in flight is lost.
        this.logger.warn("The state file's directory disappeared; recreating it", {
          directory: dirname(this.file),
        });
        try {
          await mkdir(dirname(this.file), { recursive: true });
          await this.db.write();
          return;
        } catch (retry) {
          throw this.writeError(retry);
        }
      }
      throw this.writeError(error);
    }
  }

  private writeError(error: unknown): StoreError {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    this.logger.error("Cannot write the state file", { file: this.file, code });
    return new StoreError(
      `Cannot write the state file ${this.file ?? "(memory)"} (${code}). Check that its directory exists and the bot may write to it.`,
    );
  }

  /** Waits for every update queued so far, then writes a checkpoint, so the file holds it all. */
  /** Saves what is queued, then lets go of the log's file (at shutdown; a later write opens it again). */
  async close(): Promise<void> {
    await this.flush();
    await this.inTurn(async () => {
      const wal = this.wal;
      this.wal = undefined;
      this.walCount = 0;
      await wal?.close();
    });
  }

  async flush(): Promise<void> {
    await this.queue;
    if (!this.wal || this.walCount === 0) return;
    await this.inTurn(() => this.persist()).catch((error: unknown) => {
      // What the log holds is replayed at the next start: nothing is lost, only not yet in the file.
      this.logger.warn("Could not write a checkpoint of the state; the log keeps it", { error });
    });
  }
}
