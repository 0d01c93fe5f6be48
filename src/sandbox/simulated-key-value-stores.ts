import { awsError } from "./simulated-aws-errors.js";

/** A CloudFront KeyValueStore as the model keeps it: its keys and values, and its ETag. */
export type KeyValueStore = {
  arn: string;
  etag: string;
  items: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
};

/** AWS's documented limits: a key 1–512 bytes, a value at most 1 KB, a store at most 5 MB. */
const MAX_KEY_BYTES = 512;
const MAX_VALUE_BYTES = 1024;
const MAX_STORE_BYTES = 5 * 1024 * 1024;
/** The most puts and deletes one UpdateKeys takes. */
const MAX_BATCH = 50;

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/**
 * CloudFront KeyValueStores, as the API reference documents the data plane: a write names the
 * store's current ETag (If-Match) or is refused with a conflict; UpdateKeys applies all its puts and
 * deletes or none; every write makes a new ETag. A key the store lacks is ResourceNotFound.
 */
export class SimulatedKeyValueStores {
  private readonly stores = new Map<string, KeyValueStore>();

  constructor(
    private readonly clock: () => number,
    private readonly newETag: () => string,
  ) {}

  add(arn: string, items: Record<string, string> = {}): KeyValueStore {
    const store = {
      arn,
      etag: this.newETag(),
      items: { ...items },
      createdAt: this.clock(),
      modifiedAt: this.clock(),
    };
    this.stores.set(arn, store);
    return store;
  }

  list(): KeyValueStore[] {
    return [...this.stores.values()];
  }

  restore(stores: readonly KeyValueStore[]): void {
    this.stores.clear();
    for (const s of stores) this.stores.set(s.arn, structuredClone(s));
  }

  get(arn: string): KeyValueStore {
    const store = this.stores.get(arn);
    if (!store) throw awsError("ResourceNotFoundException", "The key value store does not exist.", 404);
    return store;
  }

  size(store: KeyValueStore): number {
    return Object.entries(store.items).reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0);
  }

  value(arn: string, key: string): string {
    const value = this.get(arn).items[key];
    if (value === undefined) throw awsError("ResourceNotFoundException", "The key does not exist.", 404);
    return value;
  }

  /** UpdateKeys: every put and delete, or none of them when one is refused. */
  update(
    arn: string,
    puts: readonly { key: string; value: string }[],
    deletes: readonly string[],
    ifMatch: string | undefined,
  ): KeyValueStore {
    const store = this.get(arn);
    if (!ifMatch) throw awsError("ValidationException", "IfMatch is required.", 400);
    if (ifMatch !== store.etag)
      throw awsError("ConflictException", "The key value store was changed: its ETag does not match.", 409);
    if (puts.length + deletes.length === 0 || puts.length + deletes.length > MAX_BATCH)
      throw awsError("ValidationException", `An update has 1 to ${MAX_BATCH} puts and deletes.`, 400);
    const bad = [...puts.map((p) => p.key), ...deletes].find((k) => bytes(k) < 1 || bytes(k) > MAX_KEY_BYTES);
    if (bad !== undefined) throw awsError("ValidationException", "A key is 1 to 512 bytes.", 400);
    if (puts.some((p) => bytes(p.value) > MAX_VALUE_BYTES))
      throw awsError("ValidationException", "A value is at most 1 KB.", 400);
    const next = { ...store.items };
    for (const key of deletes) delete next[key];
    for (const p of puts) next[p.key] = p.value;
    if (this.size({ ...store, items: next }) > MAX_STORE_BYTES)
      throw awsError("ServiceQuotaExceededException", "The key value store would exceed 5 MB.", 402);
    store.items = next;
    store.etag = this.newETag();
    store.modifiedAt = this.clock();
    return store;
  }

  /** Someone else (the console, a script) edits a key: a new ETag. */
  editElsewhere(arn: string, key: string, value: string | undefined): void {
    const store = this.get(arn);
    if (value === undefined) delete store.items[key];
    else store.items[key] = value;
    store.etag = this.newETag();
    store.modifiedAt = this.clock();
  }
}
