import { describe, expect, it } from "vitest";
import { batchTransition, noteKey } from "../../src/purge/batch-machine.js";
import type { PurgeBatch } from "../../src/store/records.js";
import { aPurge } from "../support/fixtures.js";

const NOW = Date.UTC(2026, 10, 25, 12);
const limits = { maxFilePathsInFlight: 3000, maxWildcardPathsInFlight: 15 };
const idle = { files: 0, wildcards: 0 };

const open = (overrides: Partial<PurgeBatch> = {}): PurgeBatch => ({
  version: 2,
  id: "b1",
  distributionId: "E2EXAMPLE123",
  operationIds: ["p1", "p2"],
  paths: ["/a", "/img/*"],
  callerReference: "cdnbot-b1",
  state: "open",
  openedAt: NOW - 2000,
  sendAt: NOW,
  attempts: 0,
  ...overrides,
});
const purges = [aPurge({ id: "p1" }), aPurge({ id: "p2" })];

describe("the purge batch state machine", () => {
  it("sends once its window has closed, not before", () => {
    expect(
      batchTransition(open({ sendAt: NOW + 1 }), purges, { type: "send", inFlight: idle, limits }, NOW),
    ).toBe(undefined);
    expect(batchTransition(open(), purges, { type: "send", inFlight: idle, limits }, NOW)).toMatchObject({
      batch: { state: "sending", attempts: 1 },
      effects: [{ type: "create-invalidation" }],
    });
  });

  it("waits, and says so once by code, while the in-flight wildcard quota is full", () => {
    const step = batchTransition(
      open(),
      purges,
      { type: "send", inFlight: { files: 0, wildcards: 15 }, limits },
      NOW,
    );
    expect(step).toMatchObject({
      batch: { state: "waiting", waitingReason: "queued" },
      effects: [{ type: "tell", note: { code: "queued", paths: "wildcard", allowed: 15, inProgress: 15 } }],
    });
    const note = step?.effects[0];
    expect(note?.type === "tell" && noteKey(note.note)).toBe("queued:wildcard");
  });

  it("marks the batch and its purges in progress, audits each purge, and bills the paths once", () => {
    const created = batchTransition(
      open({ state: "sending", attempts: 1 }),
      purges,
      {
        type: "created",
        invalidation: { id: "I1", status: "InProgress", requestId: "req-1" },
        nextPollAt: NOW + 20_000,
      },
      NOW,
    );
    expect(created).toMatchObject({
      batch: { state: "in-progress", invalidationId: "I1", nextPollAt: NOW + 20_000 },
      billPaths: 2,
      effects: [{ type: "announce-created" }],
    });
    expect(created?.purges.map((p) => [p.id, p.state, p.invalidationId])).toEqual([
      ["p1", "in-progress", "I1"],
      ["p2", "in-progress", "I1"],
    ]);
    expect(created?.audit).toEqual([
      expect.objectContaining({
        operationId: "p1",
        awsRequestId: "req-1",
        summary: expect.stringContaining("for 2 coalesced purges"),
      }),
      expect.objectContaining({ operationId: "p2" }),
    ]);

    // A crash made the create run again; CloudFront answered with the same invalidation: not billed twice.
    const again = batchTransition(
      open({ state: "sending", invalidationId: "I1" }),
      purges,
      { type: "created", invalidation: { id: "I1", status: "InProgress" }, nextPollAt: NOW },
      NOW,
    );
    expect(again?.billPaths).toBeUndefined();
  });

  it("retries a transient failure later and fails for good on a refusal", () => {
    const problem = { code: "Throttling", explanation: "CloudFront is throttling.", retryable: true };
    expect(
      batchTransition(
        open({ state: "sending" }),
        purges,
        {
          type: "send-failed",
          problem,
          failure: { code: "aws-refused", awsCode: "Throttling" },
          retryAt: NOW + 5000,
        },
        NOW,
      ),
    ).toMatchObject({
      batch: { state: "waiting", sendAt: NOW + 5000 },
      effects: [
        { type: "wake", at: NOW + 5000 },
        { type: "tell", note: { code: "retrying", awsCode: "Throttling" } },
      ],
    });
    const refused = { code: "AccessDenied", explanation: "No.", retryable: false };
    const failure = { code: "aws-refused" as const, awsCode: "AccessDenied", awsMessage: "No." };
    expect(
      batchTransition(
        open({ state: "sending" }),
        purges,
        { type: "send-failed", problem: refused, failure, retryAt: 0 },
        NOW,
      ),
    ).toMatchObject({
      batch: { state: "failed", failure, finishedAt: NOW },
      effects: [{ type: "finish", outcome: { state: "failed", failure } }],
    });
  });

  it("finishes on Completed once; a finished batch ignores later news", () => {
    const running = open({ state: "in-progress", invalidationId: "I1" });
    const done = batchTransition(running, purges, { type: "completed" }, NOW);
    expect(done).toMatchObject({
      batch: { state: "completed" },
      effects: [{ type: "finish", outcome: { state: "completed" } }],
    });
    expect(batchTransition(done!.batch, purges, { type: "completed" }, NOW)).toBeUndefined();
    expect(
      batchTransition(
        done!.batch,
        purges,
        { type: "lost", failure: { code: "invalidation-lost", awsCode: "NoSuchInvalidation" } },
        NOW,
      ),
    ).toBeUndefined();
  });
});
