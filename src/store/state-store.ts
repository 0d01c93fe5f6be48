import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { Low, Memory } from "lowdb";
import { JSONFile } from "lowdb/node";
import { describeIssues } from "../config/load-config.js";
import { type Logger, silentLogger } from "../logger.js";
import { emptyStoreData, type StoreData, storeDataSchema } from "./records.js";

export class StoreError extends Error {
  override readonly name = "StoreError";
}

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
  ) {}

  static async open(file: string, logger: Logger = silentLogger): Promise<StateStore> {
    await mkdir(dirname(file), { recursive: true });
    const initial = await readExisting(file);
    // Built explicitly: JSONFilePreset swaps in a memory adapter under NODE_ENV=test.
    const db = new Low<StoreData>(new JSONFile<StoreData>(file), initial);
    db.data = initial;
    const store = new StateStore(db, file, logger);
    await store.persist();
    return store;
  }

  /** Reads the state without ever writing it, for tools that run beside the bot. */
  static async readOnly(file: string): Promise<Readonly<StoreData>> {
    return readExisting(file);
  }

  static inMemory(data: StoreData = emptyStoreData()): StateStore {
    const db = new Low<StoreData>(new Memory<StoreData>(), data);
    db.data = data;
    return new StateStore(db);
  }

  get data(): Readonly<StoreData> {
    return this.db.data;
  }

  /**
   * Applies `mutate` and persists; updates run one at a time in call order. If the mutation throws or
   * the file cannot be written, the data is as it was before and the caller gets the error.
   */
  update<T>(mutate: (data: StoreData) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const before = structuredClone(this.db.data);
      try {
        const result = mutate(this.db.data);
        await this.persist();
        return result;
      } catch (error) {
        this.db.data = before;
        throw error;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async persist(): Promise<void> {
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

  /** Waits for every update queued so far. */
  async flush(): Promise<void> {
    await this.queue;
  }
}

async function readExisting(file: string): Promise<StoreData> {
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
  const parsed = storeDataSchema.safeParse(raw);
  if (!parsed.success) {
    throw new StoreError(
      `The state file ${file} does not look like cdnbot state:\n${describeIssues(parsed.error.issues)
        .map((p) => `  - ${p}`)
        .join("\n")}`,
    );
  }
  return parsed.data;
}
