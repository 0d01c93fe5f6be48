import { describe, expect, it } from "vitest";
import { approvalRequestMessage, decisionNote } from "../../src/messages/approval-messages.js";
import { changeParentMessage } from "../../src/messages/change-messages.js";
import type { ChangeOperation } from "../../src/store/records.js";

const change = (overrides: Partial<ChangeOperation>): ChangeOperation => ({
  version: 0,
  id: "RCHANGE1",
  alias: "web",
  distributionId: "E2EXAMPLE123",
  spec: { kind: "comment", comment: "new" },
  diffs: [{ path: "distribution.Comment", label: "comment", before: "old", after: "new" }],
  summary: "comment: `old` → `new`",
  requestedBy: { userId: "UALICE", teamId: "T1" },
  channelId: "C1",
  messageTs: "1.2",
  state: "failed",
  requestedAt: 0,
  told: [],
  announced: { written: false, final: false },
  ...overrides,
});

const offersRollback = (op: ChangeOperation) =>
  JSON.stringify(changeParentMessage(op).blocks).includes("/cdn rollback");

describe("a change's thread head", () => {
  it("offers a rollback only for a change that reached CloudFront", () => {
    expect(offersRollback(change({ state: "failed", error: "PreconditionFailed" }))).toBe(false);
    expect(offersRollback(change({ state: "deployed", writtenAt: 1_000, finishedAt: 2_000 }))).toBe(true);
    expect(offersRollback(change({ state: "failed", writtenAt: 1_000, error: "later" }))).toBe(true);
  });
});

describe("who approved, in the channel", () => {
  const at = (minute: number) => Date.UTC(2026, 11, 7, 14, minute);
  it("names every approver and when, once the request's message became the change's", () => {
    const head = changeParentMessage(
      change({
        state: "deployed",
        writtenAt: at(6),
        approvedBy: [
          { userId: "UBOB", at: at(2) },
          { userId: "UCAROL", at: at(5) },
        ],
      }),
    );
    expect(head.text).toMatch(
      /approved by <@UBOB> at 2026-12-07 14:02 UTC, <@UCAROL> at 2026-12-07 14:05 UTC/,
    );
    expect(JSON.stringify(head.blocks)).toContain("*Approved by* <@UBOB> at 2026-12-07 14:02 UTC");
  });

  it("says so in the request's message as each approval comes, and in its thread", () => {
    const request = {
      version: 2,
      id: "R7K2M9Q",
      action: "change" as const,
      alias: "web",
      distributionId: "E2EXAMPLE123",
      requestedBy: { userId: "UALICE", teamId: "T1" },
      channelId: "C1",
      createdAt: at(0),
      expiresAt: at(30),
      approvalsRequired: 2,
      state: "pending" as const,
      approvals: [{ userId: "UBOB", at: at(2) }],
      messageSettled: false,
    };
    const payload = { kind: "change" as const, spec: change({}).spec, diffs: change({}).diffs, summary: "x" };
    const open = approvalRequestMessage({ ...request, payload });
    expect(open.text).toMatch(
      /Waiting for 1 approval \(approved so far by <@UBOB> at 2026-12-07 14:02 UTC\)/,
    );
    const note = decisionNote({ ...request, payload }, { userId: "UBOB", verdict: "approve", at: at(2) });
    expect(note.text).toBe(
      "<@UBOB> approved request R7K2M9Q at 2026-12-07 14:02 UTC (1 of 2); 1 more approval needed.",
    );
  });
});
