import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { walFile } from "../../src/store/state-files.js";
import { StoreError } from "../../src/store/state-store.js";
import { aPurge } from "../support/fixtures.js";
import { openStore } from "../support/state-stores.js";

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cdnbot-store-"));
  return join(dir, "nested", "cdnbot.json");
}

describe("StateStore on a JSON file", () => {
  it("keeps what was written across a reopen", async () => {
    const file = await tempFile();
    const store = await openStore(file);
    await store.update((data) => {
      data.operations.push(aPurge({ id: "op-1", state: "in-progress", invalidationId: "I1" }));
    });

    const reopened = await openStore(file);
    expect(reopened.data.operations).toEqual([expect.objectContaining({ id: "op-1", invalidationId: "I1" })]);
    expect(JSON.parse(await readFile(file, "utf8")).operations).toHaveLength(1);
  });

  it("applies concurrent updates in order without losing any", async () => {
    const store = await openStore(await tempFile());
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update((data) => {
          data.operations.push(aPurge({ id: `op-${i}` }));
        }),
      ),
    );
    expect(store.data.operations.map((o) => o.id)).toEqual(Array.from({ length: 20 }, (_, i) => `op-${i}`));
  });

  it("refuses a broken file and leaves it untouched", async () => {
    const file = await tempFile();
    await openStore(file);
    await writeFile(file, "{ not json");
    await expect(openStore(file)).rejects.toThrow(StoreError);
    await expect(openStore(file)).rejects.toThrow(/not valid JSON.*move it aside/s);
    expect(await readFile(file, "utf8")).toBe("{ not json");
  });

  it("refuses a file that is not cdnbot state, naming the key", async () => {
    const file = await tempFile();
    await openStore(file);
    await writeFile(file, JSON.stringify({ operations: [{ id: 3 }] }));
    await expect(openStore(file)).rejects.toThrow(/operations\.0\.id/);
  });

  it("takes an empty file for lost state, not a fresh install, and leaves it alone", async () => {
    const file = await tempFile();
    await openStore(file);
    for (const empty of ["", "  \n"]) {
      await writeFile(file, empty);
      await expect(openStore(file)).rejects.toThrow(/state file .* is empty.*Restore it from a backup/s);
      expect(await readFile(file, "utf8")).toBe(empty);
    }
  });

  it("undoes in memory an update it could not write, so nothing unsaved is ever acted on", async () => {
    const file = await tempFile();
    const store = await openStore(file);
    await store.update((data) => {
      data.operations.push(aPurge({ id: "kept" }));
    });
    // The writer replaces the file through a temp file beside it; a directory in its place makes
    // every write fail, even for root.
    const blocker = join(dirname(file), `.${basename(file)}.tmp`);
    await mkdir(blocker);

    await expect(
      store.update((data) => {
        data.operations.push(aPurge({ id: "lost" }));
      }),
    ).rejects.toThrow(/Cannot write the state file/);

    expect(store.data.operations.map((o) => o.id)).toEqual(["kept"]);
    await rm(blocker, { recursive: true });
    await store.update((data) => {
      data.operations.push(aPurge({ id: "next" }));
    });
    const reopened = await openStore(file);
    expect(reopened.data.operations.map((o) => o.id)).toEqual(["kept", "next"]);
  });

  it("recreates a data directory removed under it and writes everything it holds", async () => {
    const file = await tempFile();
    const store = await openStore(file);
    await store.update((data) => {
      data.operations.push(aPurge({ id: "in-flight" }));
    });
    await rm(dirname(file), { recursive: true });

    await store.update((data) => {
      data.operations.push(aPurge({ id: "after" }));
    });

    const reopened = await openStore(file);
    expect(reopened.data.operations.map((o) => o.id)).toEqual(["in-flight", "after"]);
  });
});

describe("StateStore's write-ahead log", () => {
  const commitOf = (id: string) => ({
    type: "commit" as const,
    commit: {
      writes: [{ kind: "purge" as const, op: "create" as const, record: aPurge({ id }) }],
      audit: [
        { type: "purge.requested", actor: { userId: "U1", teamId: "T1" }, channelId: "C1", summary: id },
      ],
      billPaths: { month: "2026-12", paths: 1 },
    },
    at: Date.UTC(2026, 11, 4),
  });

  it("keeps acknowledged commits that never reached the file, applying each once at the next open", async () => {
    const file = await tempFile();
    const store = await openStore(file);
    await Promise.all(["a", "b", "c"].map((id) => store.log(commitOf(id))));

    // No checkpoint was written (a kill -9 here): the file alone does not have them.
    expect(JSON.parse(await readFile(file, "utf8")).operations).toHaveLength(0);
    const reopened = await openStore(file);
    expect(reopened.data.operations.map((o) => o.id).sort()).toEqual(["a", "b", "c"]);
    expect(reopened.data.pathsBilled["2026-12"]).toBe(3);
    expect((await reopened.audit.query({ limit: 10 })).map((e) => e.summary).sort()).toEqual(["a", "b", "c"]);
    // Reopened again: the replay was written into the file, and the log emptied; nothing doubles.
    const third = await openStore(file);
    expect(third.data.pathsBilled["2026-12"]).toBe(3);
    expect(await readFile(walFile(file), "utf8")).toBe("");
  });

  it("closes at shutdown: what the log held is in the file, and a write after closing still lands", async () => {
    const file = await tempFile();
    const store = await openStore(file);
    await store.log(commitOf("before"));
    await store.close();
    expect(JSON.parse(await readFile(file, "utf8")).operations).toHaveLength(1);
    expect(await readFile(walFile(file), "utf8")).toBe("");

    await store.log(commitOf("after"));
    const reopened = await openStore(file);
    expect(reopened.data.operations.map((o) => o.id).sort()).toEqual(["after", "before"]);
  });

  it("leaves out a last line cut short (a write that never finished, so never acknowledged)", async () => {
    const file = await tempFile();
    const store = await openStore(file);
    await store.log(commitOf("kept"));
    await appendFile(walFile(file), '{"s":2,"type":"commit","commit":{"wri');

    const reopened = await openStore(file);
    expect(reopened.data.operations.map((o) => o.id)).toEqual(["kept"]);
  });

  it("skips lines the file already holds (a crash between a checkpoint and emptying the log)", async () => {
    const file = await tempFile();
    const store = await openStore(file);
    await store.log(commitOf("once"));
    const lines = await readFile(walFile(file), "utf8");
    await store.flush(); // a checkpoint: the file holds it, the log is emptied
    await writeFile(walFile(file), lines); // as if the emptying had not happened

    const reopened = await openStore(file);
    expect(reopened.data.operations.map((o) => o.id)).toEqual(["once"]);
    expect(reopened.data.pathsBilled["2026-12"]).toBe(1);
  });

  it("refuses a log damaged in the middle, and changes nothing", async () => {
    const file = await tempFile();
    const store = await openStore(file);
    await store.log(commitOf("x"));
    await store.log(commitOf("y"));
    const [first, second] = (await readFile(walFile(file), "utf8")).trim().split("\n");
    await writeFile(walFile(file), `${first}\nnot json\n${second}\n`);

    await expect(openStore(file)).rejects.toThrow(/write-ahead log .* is damaged at line 2/);
    expect(await readFile(walFile(file), "utf8")).toContain("not json");
  });

  it("undoes only the change whose condition failed in a group, keeping the others whole", async () => {
    const file = await tempFile();
    const store = await openStore(file);
    // Asked at the same instant: one group, whose middle change conflicts (the id exists already).
    const results = await Promise.allSettled([
      store.log(commitOf("first")),
      store.log(commitOf("first")),
      store.log(commitOf("second")),
    ]);

    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    for (const opened of [store, await openStore(file)]) {
      expect(opened.data.operations.map((o) => o.id)).toEqual(["first", "second"]);
      expect(opened.data.pathsBilled["2026-12"]).toBe(2);
      expect((await opened.audit.query({ limit: 10 })).map((e) => e.summary).sort()).toEqual([
        "first",
        "second",
      ]);
    }
  });

  it("hands out stored records frozen, so a reader cannot change the state behind the log", async () => {
    const store = await openStore(await tempFile());
    await store.log(commitOf("frozen"));
    const stored = store.data.operations[0]!;
    expect(() => {
      (stored as { paths: string[] }).paths.push("/changed");
    }).toThrow(TypeError);
    expect(store.data.operations[0]!.paths).toEqual(aPurge({ id: "frozen" }).paths);
  });
});
