import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { Low, Memory } from "lowdb";
import { JSONFile } from "lowdb/node";
import { describeIssues } from "../config/load-config.js";
import { emptyStoreData, type StoreData, storeDataSchema } from "./records.js";

export class StoreError extends Error {
  override readonly name = "StoreError";
}

/**
 * The bot's durable state. Every change goes through `update`, which mutates the data and writes the
 * whole file before resolving, so a caller that awaited an update knows it survives a crash.
 */
export class StateStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: Low<StoreData>) {}

  static async open(file: string): Promise<StateStore> {
    await mkdir(dirname(file), { recursive: true });
    const initial = await readExisting(file);
    // Built explicitly: JSONFilePreset swaps in a memory adapter under NODE_ENV=test.
    const db = new Low<StoreData>(new JSONFile<StoreData>(file), initial);
    db.data = initial;
    await db.write();
    return new StateStore(db);
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

  /** Applies `mutate` and persists; updates run one at a time in call order. */
  update<T>(mutate: (data: StoreData) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const result = mutate(this.db.data);
      await this.db.write();
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
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
  if (text.trim() === "") return emptyStoreData();
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
