import { mkdir, open, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Append-only JSON Lines files, one per calendar month (`2026-11.jsonl`): what grows with history
 * (the audit log, finished records) lives here, so the state rewritten on every update holds only
 * live work. A month file is never rewritten; a whole month is dropped when its time is up.
 */

const MONTH_FILE = /^(\d{4}-\d{2})\.jsonl$/;

/** The month files in `dir`, oldest first. A missing directory has none. */
export async function monthFiles(dir: string): Promise<{ month: string; file: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return names
    .map((name) => MONTH_FILE.exec(name)?.[1])
    .filter((month): month is string => month !== undefined)
    .sort()
    .map((month) => ({ month, file: join(dir, `${month}.jsonl`) }));
}

export type AppendedLine = { offset: number; length: number };

/**
 * Appends lines and syncs them to disk before resolving, so whatever is reported afterwards is
 * already durable. Returns where each line landed, for an index.
 */
export async function appendLines(file: string, lines: string[]): Promise<AppendedLine[]> {
  if (lines.length === 0) return [];
  const handle = await open(file, "a+").catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
    // The directory was removed under the running bot (as the state file's may be): recreate it.
    await mkdir(dirname(file), { recursive: true });
    return open(file, "a+");
  });
  try {
    let offset = (await handle.stat()).size;
    const placed: AppendedLine[] = [];
    const buffers = lines.map((line) => Buffer.from(`${line}\n`, "utf8"));
    let prefix = Buffer.alloc(0);
    if (offset > 0) {
      // A crash mid-append can leave a torn last line: end it, so the next line starts clean.
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, offset - 1);
      if (last[0] !== 0x0a) {
        prefix = Buffer.from("\n");
        offset += 1;
      }
    }
    for (const b of buffers) {
      placed.push({ offset, length: b.length - 1 });
      offset += b.length;
    }
    await handle.writeFile(Buffer.concat([prefix, ...buffers]));
    await handle.datasync();
    return placed;
  } finally {
    await handle.close();
  }
}

/** Reads the line at a known place (from an index built by `appendLines` or `scanLinePrefixes`). */
export async function readLineAt(file: string, at: AppendedLine): Promise<string> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(at.length);
    await handle.read(buffer, 0, at.length, at.offset);
    return buffer.toString("utf8");
  } finally {
    await handle.close();
  }
}

const CHUNK = 64 * 1024;

/**
 * The file's lines from the last to the first, read in chunks from the end: a reader that wants the
 * newest few never loads the whole file. Readers skip a line that does not parse (a torn append).
 */
export async function* linesBackward(file: string): AsyncGenerator<string> {
  const handle = await open(file, "r");
  try {
    let position = (await handle.stat()).size;
    let carry = Buffer.alloc(0);
    while (position > 0) {
      const size = Math.min(CHUNK, position);
      position -= size;
      const chunk = Buffer.alloc(size);
      await handle.read(chunk, 0, size, position);
      const joined = Buffer.concat([chunk, carry]);
      // Only what follows the first newline in `joined` is known to be whole lines.
      let end = joined.length;
      for (let i = joined.length - 1; i >= 0; i--) {
        if (joined[i] !== 0x0a) continue;
        if (end > i + 1) yield joined.subarray(i + 1, end).toString("utf8");
        end = i;
      }
      carry = Buffer.from(joined.subarray(0, end));
    }
    if (carry.length > 0) yield carry.toString("utf8");
  } finally {
    await handle.close();
  }
}

/**
 * Hands each complete line's place and its first `prefixBytes` bytes to `onLine`, first to last,
 * read in chunks: what an index needs at start-up, without holding the file or whole lines.
 */
export async function scanLinePrefixes(
  file: string,
  onLine: (prefix: string, at: AppendedLine) => void,
  prefixBytes = 128,
): Promise<void> {
  const handle = await open(file, "r");
  try {
    const chunk = Buffer.alloc(256 * 1024);
    let position = 0;
    let lineStart = 0;
    let head: Buffer[] = [];
    let headLength = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      const view = chunk.subarray(0, bytesRead);
      let from = 0;
      for (let i = view.indexOf(0x0a, from); i !== -1; i = view.indexOf(0x0a, from)) {
        const end = position + i;
        if (end > lineStart) {
          // Most lines start and end in one chunk: their prefix is read straight from it.
          const rest = view.subarray(from, Math.min(i, from + Math.max(0, prefixBytes - headLength)));
          const prefix =
            head.length === 0 ? rest.toString("utf8") : Buffer.concat([...head, rest]).toString("utf8");
          onLine(prefix, { offset: lineStart, length: end - lineStart });
        }
        lineStart = end + 1;
        from = i + 1;
        head = [];
        headLength = 0;
      }
      if (headLength < prefixBytes && from < bytesRead) {
        const piece = Buffer.from(view.subarray(from, Math.min(bytesRead, from + prefixBytes - headLength)));
        head.push(piece);
        headLength += piece.length;
      }
      position += bytesRead;
    }
    // Bytes after the last newline are a torn append: skipped (appendLines ends them before adding).
  } finally {
    await handle.close();
  }
}
