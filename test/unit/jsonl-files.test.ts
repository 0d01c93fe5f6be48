import { appendFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appendLines, linesBackward, readLineAt, scanLinePrefixes } from "../../src/store/jsonl-files.js";

async function aFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "cdnbot-jsonl-")), "2026-11.jsonl");
}

// Lines of uneven length, long enough that chunk edges (64 KB backwards) fall inside lines.
const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad: "é".repeat((i * 37) % 200) }));

describe("JSON Lines files", () => {
  it("reads back every line, last first, across chunk edges and multi-byte characters", async () => {
    const file = await aFile();
    await appendLines(file, lines.slice(0, 1000));
    await appendLines(file, lines.slice(1000));

    const back: string[] = [];
    for await (const line of linesBackward(file)) back.push(line);

    expect(back).toEqual([...lines].reverse());
  });

  it("indexes each line's place, so one line reads back alone", async () => {
    const file = await aFile();
    await appendLines(file, lines);

    const index: { prefix: string; at: { offset: number; length: number } }[] = [];
    await scanLinePrefixes(file, (prefix, at) => index.push({ prefix, at }), 12);

    expect(index).toHaveLength(lines.length);
    expect(index[2500]!.prefix).toBe(Buffer.from(lines[2500]!).subarray(0, 12).toString());
    expect(await readLineAt(file, index[2500]!.at)).toBe(lines[2500]);
  });

  it("ends a line torn by a crash before appending, so the new line stays whole", async () => {
    const file = await aFile();
    await appendLines(file, ['{"a":1}']);
    await appendFile(file, '{"torn":');

    const [placed] = await appendLines(file, ['{"b":2}']);

    expect(await readLineAt(file, placed!)).toBe('{"b":2}');
    const back: string[] = [];
    for await (const line of linesBackward(file)) back.push(line);
    expect(back).toEqual(['{"b":2}', '{"torn":', '{"a":1}']);
  });
});
