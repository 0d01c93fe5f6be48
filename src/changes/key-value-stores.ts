import { describeAwsError } from "../aws/aws-errors.js";
import type { CdnbotConfig, KeyValueStoreConfig } from "../config/config-schema.js";
import { UserError } from "../errors.js";
import type { ChangeSpec, FieldDiff, FieldWrite } from "../store/change-spec.js";
import type { ChangeOperation } from "../store/records.js";
import { quote } from "../text/plain-text.js";
import type { ChangeDeps } from "./change-deps.js";
import { type KeyValueDocument, kvKeyOf } from "./config-fields.js";
import type { VersionedDocument } from "./etag-safe-write.js";
import { diffWrites } from "./plan-change.js";

/** A store the config names, with the alias people type. */
export type NamedKeyValueStore = KeyValueStoreConfig & { alias: string };

type StoreDeps = Pick<ChangeDeps, "cloudfront" | "config">;

/** AWS's limits on what a store holds: a key 1–512 bytes, a value at most 1 KB. */
const MAX_KEY_BYTES = 512;
const MAX_VALUE_BYTES = 1024;

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** The store the config names so (any case), if any. */
export function keyValueStoreNamed(config: CdnbotConfig, name: string): NamedKeyValueStore | undefined {
  const found = Object.entries(config.keyValueStores ?? {}).find(
    ([alias]) => alias.toLowerCase() === name.toLowerCase(),
  );
  return found ? { ...found[1], alias: found[0] } : undefined;
}

/** Which stores there are to name, for a refusal. */
export function describeStores(config: CdnbotConfig): string {
  const aliases = Object.keys(config.keyValueStores ?? {});
  return aliases.length > 0
    ? `The key-value stores I may use: ${aliases.map(quote).join(", ")}.`
    : "No key-value store is configured: an operator names them under `keyValueStores` in the config.";
}

/** The store the config names so, or a refusal that says which there are. */
export function keyValueStoreOrRefuse(config: CdnbotConfig, name: string): NamedKeyValueStore {
  const store = keyValueStoreNamed(config, name);
  if (!store)
    throw new UserError(
      `${quote(name.slice(0, 100))} is not a key-value store I know. ${describeStores(config)}`,
    );
  return store;
}

async function ask<T>(store: NamedKeyValueStore, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new UserError(
      `I could not read key-value store ${quote(store.alias)}: ${describeAwsError(error).explanation}`,
    );
  }
}

/** `/cdn kv <store> get <key>`: a key's value as the store holds it now. */
export async function readKey(deps: StoreDeps, name: string, key: string) {
  const store = keyValueStoreOrRefuse(deps.config, name);
  const value = await ask(store, () => deps.cloudfront.getKey(store.arn, key));
  return { store: store.alias, key, value };
}

/** `/cdn kv <store> list [prefix]`: its keys (those starting with the prefix), with their values. */
export async function readKeys(deps: StoreDeps, name: string, prefix = "") {
  const store = keyValueStoreOrRefuse(deps.config, name);
  const [items, described] = await ask(store, () =>
    Promise.all([deps.cloudfront.listKeys(store.arn), deps.cloudfront.describeKeyValueStore(store.arn)]),
  );
  return {
    store: store.alias,
    prefix,
    items: items.filter((i) => i.key.startsWith(prefix)),
    itemCount: described.itemCount,
    totalSizeInBytes: described.totalSizeInBytes,
  };
}

/** The writes a store's change means: each key set or deleted (a rollback's are its before-values). */
function compileKeyValueChange(store: NamedKeyValueStore, spec: ChangeSpec): FieldWrite[] {
  if (spec.kind === "rollback") {
    if (!spec.writes.every((w) => kvKeyOf(w.path) !== undefined))
      throw new UserError(`That change was not of key-value store ${quote(store.alias)}'s keys.`);
    return spec.writes;
  }
  if (spec.kind !== "kv")
    throw new UserError(`${quote(store.alias)} is a key-value store: its changes set and delete keys.`);
  return Object.entries(spec.set).map(([key, value]) => {
    if (bytes(key) < 1 || bytes(key) > MAX_KEY_BYTES)
      throw new UserError(
        `A key is 1 to ${MAX_KEY_BYTES} bytes; ${quote(key.slice(0, 60))} is not. Nothing was sent.`,
      );
    if (value !== null && bytes(value) > MAX_VALUE_BYTES)
      throw new UserError(
        `A value is at most 1 KB (${MAX_VALUE_BYTES} bytes); the one for ${quote(key.slice(0, 60))} has ${bytes(value)}. Nothing was sent.`,
      );
    return { path: `kv[${key}]`, value: value ?? undefined };
  });
}

/** The keys a change touches, as the store holds them now (a key it lacks is absent). */
async function readTouchedKeys(
  cloudfront: StoreDeps["cloudfront"],
  arn: string,
  keys: readonly string[],
): Promise<KeyValueDocument> {
  const values = await Promise.all(keys.map((key) => cloudfront.getKey(arn, key)));
  const Keys: Record<string, string> = {};
  keys.forEach((key, i) => {
    if (values[i] !== undefined) Keys[key] = values[i];
  });
  return { Keys };
}

/** Before → after of each key the change sets or deletes, read now; nothing is written. */
export async function previewKeyValueChange(
  deps: StoreDeps,
  store: NamedKeyValueStore,
  spec: ChangeSpec,
): Promise<FieldDiff[]> {
  const writes = compileKeyValueChange(store, spec);
  const doc = await ask(store, () =>
    readTouchedKeys(
      deps.cloudfront,
      store.arn,
      writes.map((w) => kvKeyOf(w.path)!),
    ),
  );
  return diffWrites(doc, writes);
}

/**
 * A store's keys as a change writes them: its ETag from DescribeKeyValueStore (read first, so a
 * write between the two reads makes the ETag stale, never the values), the keys the change touches,
 * and UpdateKeys with the ETag as If-Match: every key of the change at once, or none.
 */
export function keyValueDocument(deps: ChangeDeps, op: ChangeOperation): VersionedDocument<KeyValueDocument> {
  const arn = op.keyValueStore!.arn;
  const keys = op.diffs.map((d) => kvKeyOf(d.path)!);
  return {
    ref: { kind: "key-value-store", name: op.alias },
    read: async () => {
      const { etag } = await deps.cloudfront.describeKeyValueStore(arn);
      return { config: await readTouchedKeys(deps.cloudfront, arn, keys), etag };
    },
    write: (next, ifMatch) => {
      const puts = keys
        .filter((k) => next.Keys[k] !== undefined)
        .map((k) => ({ key: k, value: next.Keys[k]! }));
      const deletes = keys.filter((k) => next.Keys[k] === undefined);
      return deps.cloudfront.updateKeys(arn, puts, deletes, ifMatch);
    },
  };
}
