import { formatCount, plural, shorten } from "../text/plain-text.js";
import { code, listMessage, plainMessage, type SlackMessage } from "./format.js";

/** The most characters of a value a listing shows (the whole value is a `get` away). */
const LISTED_CHARS = 80;

/** `/cdn kv <store> get <key>`: the value, literally (a value is at most 1 KB). */
export function keyValueMessage(read: {
  store: string;
  key: string;
  value: string | undefined;
}): SlackMessage {
  return plainMessage(
    read.value === undefined
      ? `Key-value store ${code(read.store)} has no key ${code(read.key)}.`
      : `${code(read.key)} in key-value store ${code(read.store)}: ${code(read.value)}`,
  );
}

/** `/cdn kv <store> list [prefix]`: each key with the start of its value. */
export function keyListMessage(list: {
  store: string;
  prefix: string;
  items: { key: string; value: string }[];
  itemCount: number;
  totalSizeInBytes: number;
}): SlackMessage {
  const which = list.prefix ? ` starting with ${code(list.prefix)}` : "";
  const size = `${plural(list.itemCount, "key")}, ${formatCount(list.totalSizeInBytes)} of 5,242,880 bytes`;
  if (list.items.length === 0)
    return plainMessage(`Key-value store ${code(list.store)} (${size}) has no keys${which}.`);
  const lines = list.items.map((i) => `• ${code(i.key)} → ${code(shorten(i.value, LISTED_CHARS))}`);
  return listMessage(
    lines,
    (shown) =>
      `Key-value store ${code(list.store)} (${size}): ${shown < list.items.length ? `${shown} of ` : ""}${plural(list.items.length, "key")}${which}`,
  );
}
