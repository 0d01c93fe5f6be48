import { describe, expect, it } from "vitest";
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
