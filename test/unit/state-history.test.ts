import { appendFile, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ApprovalDeps, decide } from "../../src/approvals/approval-service.js";
import { effectivePolicy } from "../../src/approvals/policy.js";
import { parseConfig } from "../../src/config/load-config.js";
import { silentLogger } from "../../src/logger.js";
import { appendAudit } from "../../src/store/audit-outbox.js";
import { lowdbRecordStore } from "../../src/store/lowdb-record-store.js";
import type { AuditEntry, PurgeBatch } from "../../src/store/records.js";
import { historyDirs } from "../../src/store/state-files.js";
import { StoreError } from "../../src/store/state-store.js";
import { aPurge } from "../support/fixtures.js";
import { openStore } from "../support/state-stores.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 25, 12);

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "cdnbot-history-")), "data", "cdnbot.json");
}

const actor = { userId: "UALICE", teamId: "T1" };

async function journalLines(file: string): Promise<AuditEntry[]> {
  const dir = historyDirs(file).audit;
  const lines: AuditEntry[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const text = await readFile(join(dir, name), "utf8");
    for (const line of text.split("\n")) if (line.trim()) lines.push(JSON.parse(line) as AuditEntry);
  }
  return lines;
}

function aBatch(overrides: Partial<PurgeBatch>): PurgeBatch {
  return {
    version: 0,
    id: "b-1",
    distributionId: "E2EXAMPLE123",
    operationIds: ["op-1"],
    paths: ["/index.html"],
    callerReference: "cdnbot-b-1",
    state: "completed",
    openedAt: NOW - DAY,
    sendAt: NOW - DAY,
    attempts: 1,
    ...overrides,
  };
}

describe("the audit log beside the state", () => {
  it("is appended one entry a line, leaves the state, and reads newest first", async () => {
    const file = await tempFile();
    const store = await openStore(file, { clock: () => NOW });
    for (const [i, distributionId] of ["E1AAAAAAAA", "E2BBBBBBBB", "E1AAAAAAAA"].entries()) {
      await store.update((data) => {
        appendAudit(data, NOW + i, { type: "purge.requested", actor, distributionId, summary: `purge ${i}` });
      });
    }
    await store.update(() => undefined);

    expect((await journalLines(file)).map((e) => e.summary)).toEqual(["purge 0", "purge 1", "purge 2"]);
    expect(JSON.parse(await readFile(file, "utf8")).audit).toEqual([]);
    expect((await store.audit.query({ limit: 2 })).map((e) => e.summary)).toEqual(["purge 2", "purge 1"]);
    expect((await store.audit.query({ distributionId: "E1AAAAAAAA" })).map((e) => e.summary)).toEqual([
      "purge 2",
      "purge 0",
    ]);
  });

  it("writes an entry offered again after a crash once, and goes on numbering after it", async () => {
    const file = await tempFile();
    const store = await openStore(file, { clock: () => NOW });
    await store.update((data) => {
      appendAudit(data, NOW, { type: "purge.requested", actor, summary: "first" });
    });
    // The crash: the journal has the entry, the saved state still holds it in its outbox.
    const saved = JSON.parse(await readFile(file, "utf8"));
    saved.audit = (await journalLines(file)).slice(0, 1);
    await writeFile(file, JSON.stringify(saved));

    const reopened = await openStore(file, { clock: () => NOW });
    await reopened.update((data) => {
      appendAudit(data, NOW + 1, { type: "purge.completed", actor, summary: "second" });
    });

    expect((await journalLines(file)).map((e) => [e.seq, e.summary])).toEqual([
      [1, "first"],
      [2, "second"],
    ]);
  });

  it("skips a line torn by a crash mid-append, and appends after it cleanly", async () => {
    const file = await tempFile();
    const store = await openStore(file, { clock: () => NOW });
    await store.update((data) => {
      appendAudit(data, NOW, { type: "purge.requested", actor, summary: "whole" });
    });
    await appendFile(join(historyDirs(file).audit, "2026-11.jsonl"), '{"seq":2,"at":17');

    const reopened = await openStore(file, { clock: () => NOW });
    await reopened.update((data) => {
      appendAudit(data, NOW + 1, { type: "purge.completed", actor, summary: "after" });
    });

    expect((await reopened.audit.query({})).map((e) => e.summary)).toEqual(["after", "whole"]);
  });
});

describe("finished records", () => {
  it("leave the live state a minute after they finish, and stay readable while retained", async () => {
    const file = await tempFile();
    const store = await openStore(file, { clock: () => NOW });
    await store.update((data) => {
      data.operations.push(
        aPurge({
          id: "done",
          state: "completed",
          batchId: "b-1",
          finishedAt: NOW - 2 * 60_000,
          announced: { created: true, final: true },
        }),
        aPurge({
          id: "just-done",
          state: "completed",
          batchId: "b-2",
          finishedAt: NOW - 10_000,
          announced: { created: true, final: true },
        }),
        aPurge({ id: "untold", state: "completed", batchId: "b-3", finishedAt: NOW - 2 * 60_000 }),
        aPurge({ id: "running", state: "in-progress", batchId: "b-4" }),
      );
      data.batches.push(
        aBatch({ id: "b-1", operationIds: ["done"], finishedAt: NOW - 2 * 60_000 }),
        aBatch({ id: "b-2", operationIds: ["just-done"], finishedAt: NOW - 10_000 }),
      );
    });

    expect(await store.settle(NOW)).toBe(2);

    const saved = JSON.parse(await readFile(file, "utf8"));
    expect(saved.operations.map((o: { id: string }) => o.id)).toEqual(["just-done", "untold", "running"]);
    expect(saved.batches.map((b: { id: string }) => b.id)).toEqual(["b-2"]);
    expect(await store.findArchived("purge", "done")).toMatchObject({ id: "done", state: "completed" });
    const reopened = await openStore(file, { clock: () => NOW });
    expect(await reopened.findArchived("batch", "b-1")).toMatchObject({ id: "b-1", state: "completed" });
  });

  it("are dropped with their month once past retention", async () => {
    const file = await tempFile();
    const store = await openStore(file, { clock: () => NOW, retentionMs: 30 * DAY });
    await store.update((data) => {
      data.operations.push(
        aPurge({
          id: "old",
          state: "failed",
          finishedAt: NOW - 2 * 60_000,
          announced: { created: true, final: true },
        }),
      );
    });
    await store.settle(NOW);
    expect(store.isArchived("purge", "old")).toBe(true);

    // November's file goes once its last day is more than 30 days behind.
    const later = Date.UTC(2027, 0, 1, 0, 0, 1);
    await store.settle(later);

    expect(store.isArchived("purge", "old")).toBe(false);
    expect(await readdir(historyDirs(file).archive)).toEqual([]);
  });
});

describe("a state file written by version 1", () => {
  it("is migrated on first start: history out, work in flight kept, the original beside it", async () => {
    const file = await tempFile();
    const v1 = {
      version: 1,
      operations: [
        aPurge({
          id: "old",
          state: "completed",
          finishedAt: NOW - 90 * DAY,
          announced: { created: true, final: true },
        }),
        aPurge({
          id: "recent",
          state: "completed",
          finishedAt: NOW - 2 * DAY,
          announced: { created: true, final: true },
        }),
        aPurge({ id: "in-flight", state: "in-progress", invalidationId: "I9" }),
      ],
      audit: [
        { seq: 1, at: NOW - 90 * DAY, type: "purge.requested", summary: "old" },
        { seq: 2, at: NOW - 2 * DAY, type: "purge.requested", summary: "recent" },
      ],
      pathsBilled: { "2026-11": 12 },
    };
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(file, JSON.stringify(v1));
    const logged: string[] = [];
    const logger = { ...silentLogger, info: (message: string) => void logged.push(message) };

    const store = await openStore(file, { clock: () => NOW, logger });

    expect(JSON.parse(await readFile(`${file}.v1.bak`, "utf8"))).toEqual(v1);
    const saved = JSON.parse(await readFile(file, "utf8"));
    expect(saved.version).toBe(2);
    expect(saved.operations.map((o: { id: string }) => o.id)).toEqual(["in-flight"]);
    expect(saved.pathsBilled).toEqual({ "2026-11": 12 });
    expect(await store.findArchived("purge", "recent")).toMatchObject({ id: "recent" });
    expect(await store.findArchived("purge", "old")).toBeUndefined();
    expect((await store.audit.query({})).map((e) => e.summary)).toEqual(["recent", "old"]);
    expect(logged).toEqual([expect.stringMatching(/Migrated the state file to version 2/)]);

    // Numbering goes on after the migrated log; a second start migrates nothing again.
    await store.update((data) => {
      appendAudit(data, NOW, { type: "purge.completed", summary: "new" });
    });
    await openStore(file, { clock: () => NOW });
    expect((await journalLines(file)).map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it("is refused, untouched, when a newer release wrote it", async () => {
    const file = await tempFile();
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(file, JSON.stringify({ version: 3 }));
    await expect(openStore(file)).rejects.toThrow(StoreError);
    await expect(openStore(file)).rejects.toThrow(/newer cdnbot \(state version 3\)/);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ version: 3 });
  });
});

describe("a late click on a request that has left the live state", () => {
  it("is told what became of it, and nothing runs", async () => {
    const file = await tempFile();
    const store = await openStore(file, { clock: () => NOW });
    const config = parseConfig("distributions:\n  web:\n    id: E2EXAMPLE123\n", "x");
    const executed: string[] = [];
    const deps: ApprovalDeps = {
      records: lowdbRecordStore(store),
      clock: () => NOW,
      logger: silentLogger,
      announcer: {
        postRequest: async () => "1.1",
        findRequest: async () => undefined,
        refreshRequest: async () => {},
        noteDecision: async () => {},
        postReview: async () => "1.2",
        findReview: async () => undefined,
        remindReview: async () => {},
        settleReview: async () => {},
      },
      membersOf: async () => [],
      policyFor: (alias) => effectivePolicy(config.policy, config.distributions[alias]?.policy),
      onApproved: async (request) => void executed.push(request.id),
    };
    await store.update((data) => {
      data.approvals.push({
        version: 0,
        id: "RDONE22",
        action: "wildcard-purge",
        alias: "web",
        distributionId: "E2EXAMPLE123",
        requestedBy: actor,
        channelId: "C1",
        messageTs: "1.1",
        createdAt: NOW - 10 * 60_000,
        expiresAt: NOW + 20 * 60_000,
        approvalsRequired: 1,
        state: "rejected",
        approvals: [],
        decidedBy: { userId: "UBOB", at: NOW - 5 * 60_000 },
        payload: { kind: "purge", paths: ["/*"], notes: [] },
        messageSettled: true,
      });
    });
    await store.settle(NOW);
    expect(store.data.approvals).toEqual([]);

    const late = decide(deps, {
      requestId: "RDONE22",
      actor: { userId: "UCAROL", teamId: "T1" },
      verdict: "approve",
    });

    await expect(late).rejects.toThrow("Request RDONE22 was already rejected.");
    expect(executed).toEqual([]);
  });
});
