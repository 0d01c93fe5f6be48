import { z } from "zod";
import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";
import type { ChangeDeps } from "./change-deps.js";
import { type ChangeRequest, requestChange } from "./change-requests.js";
import { keyValueStoreOrRefuse, type NamedKeyValueStore } from "./key-value-stores.js";

/** At most as many keys as one change writes in one UpdateKeys (all or nothing). */
const MAX_IMPORT_KEYS = 50;
/** A file of 50 keys of 512 bytes with values of 1 KB is about 80 KB: anything far larger is not one. */
const MAX_IMPORT_BYTES = 256 * 1024;
const FETCH_TIMEOUT_MS = 10_000;

/** CloudFront's own import format (`{"data": [{"key", "value"}]}`), or a plain object of keys. */
const importFileSchema = z.union([
  z.object({ data: z.array(z.object({ key: z.string(), value: z.string() })) }),
  z.record(z.string(), z.string()),
]);

/** Reads a file's text; refuses to follow a redirect, to wait past the timeout, or to read too much. */
export type ImportFetch = (url: string) => Promise<string>;

/**
 * `/cdn kv <store> import <url>`: a batch of keys from a JSON file at a URL the config allows for
 * the store (`importFrom`), asked for as one change of the store's keys (preview with the keys that
 * would change, approval, one UpdateKeys with the ETag read just before, rollback).
 */
export async function importKeys(
  deps: ChangeDeps,
  request: Omit<ChangeRequest, "distribution" | "spec"> & { store: string; url: string },
  fetchFile: ImportFetch = fetchImportFile,
): Promise<string> {
  const store = keyValueStoreOrRefuse(deps.config, request.store);
  const url = allowedImportUrl(store, request.url);
  let text: string;
  try {
    text = await fetchFile(url);
  } catch (error) {
    throw new UserError(
      `I could not read ${quote(url.slice(0, 300))}: ${error instanceof Error ? error.message : String(error)}. Nothing was sent.`,
    );
  }
  const set = parseImportFile(text);
  const { store: _store, url: _url, ...asked } = request;
  return requestChange(deps, { ...asked, distribution: store.alias, spec: { kind: "kv", set } });
}

/** The URL, if it starts with one of the store's `importFrom` prefixes (an https URL, whole). */
export function allowedImportUrl(store: NamedKeyValueStore, url: string): string {
  const prefixes = store.importFrom ?? [];
  if (prefixes.length === 0)
    throw new UserError(
      `Key-value store ${quote(store.alias)} takes no imports: an operator lists the URL prefixes it may read from under \`keyValueStores.${store.alias}.importFrom\`. Nothing was sent.`,
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${quote(url.slice(0, 300))} is not a URL. Nothing was sent.`);
  }
  // Compared as the URL parser writes it, so `..`, case or an `@` cannot pass for an allowed prefix.
  const normal = parsed.href;
  if (parsed.username || parsed.password || !prefixes.some((p) => normal.startsWith(new URL(p).href)))
    throw new UserError(
      `I import into ${quote(store.alias)} only from ${prefixes.map(quote).join(", ")}; ${quote(url.slice(0, 300))} is not there. Nothing was sent.`,
    );
  return normal;
}

/** The keys and values of an import file, checked: JSON, one of the two formats, 1 to 50 keys. */
export function parseImportFile(text: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError("The file is not JSON. Nothing was sent.");
  }
  const parsed = importFileSchema.safeParse(json);
  if (!parsed.success)
    throw new UserError(
      'The file is neither CloudFront\'s import format (`{"data": [{"key": "…", "value": "…"}]}`) nor an object of keys and string values. Nothing was sent.',
    );
  const entries =
    "data" in parsed.data && Array.isArray(parsed.data.data)
      ? parsed.data.data.map((item) => [item.key, item.value] as const)
      : Object.entries(parsed.data as Record<string, string>);
  if (entries.length === 0) throw new UserError("The file holds no keys. Nothing was sent.");
  const set = Object.fromEntries(entries);
  if (Object.keys(set).length !== entries.length)
    throw new UserError("The file names a key twice. Nothing was sent.");
  if (entries.length > MAX_IMPORT_KEYS)
    throw new UserError(
      `The file holds ${entries.length} keys; an import writes at most ${MAX_IMPORT_KEYS} at once (one UpdateKeys, all or nothing). Split it. Nothing was sent.`,
    );
  return set;
}

/** GET with a timeout, no redirects (a redirect could lead anywhere), and a cap on what is read. */
export async function fetchImportFile(url: string): Promise<string> {
  const res = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`it answered ${res.status}`);
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_IMPORT_BYTES) {
      await reader.cancel();
      throw new Error(`it is larger than ${MAX_IMPORT_BYTES / 1024} KB`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
