import { describe, expect, it } from "vitest";
import { dueEvent, transition } from "../../src/approvals/approval-machine.js";
import type { ApprovalRequest } from "../../src/store/records.js";

const NOW = Date.UTC(2026, 10, 25, 12);
const alice = { userId: "UALICE", teamId: "T1" };
const bob = { userId: "UBOB", teamId: "T1" };
const carol = { userId: "UCAROL", teamId: "T1" };

const pending = (overrides: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  version: 3,
  id: "RABCDE2",
  action: "change",
  alias: "web",
  distributionId: "E2EXAMPLE123",
  requestedBy: alice,
  channelId: "C1",
  messageTs: "1.1",
  createdAt: NOW - 60_000,
  expiresAt: NOW + 30 * 60_000,
  approvalsRequired: 2,
  state: "pending",
  approvals: [],
  payload: { kind: "purge", paths: ["/*"], notes: [] },
  messageSettled: false,
  ...overrides,
});

describe("the approval request state machine", () => {
  it("counts approvals until enough, then approves, and only then asks for the run to be claimed", () => {
    const first = transition(pending(), { type: "approve", actor: bob }, NOW);
    expect(first).toMatchObject({ ok: true, request: { state: "pending", approvals: [{ userId: "UBOB" }] } });
    if (!first.ok) return;
    expect(first.effects).toEqual([{ type: "refresh-message" }]);
    expect(first.audit).toEqual([
      expect.objectContaining({ type: "approval.approved", summary: "Approval 1 of 2" }),
    ]);

    const second = transition(first.request, { type: "approve", actor: carol }, NOW + 1);
    expect(second).toMatchObject({
      ok: true,
      request: { state: "approved", decidedBy: { userId: "UCAROL" } },
    });
    if (!second.ok) return;
    expect(dueEvent(second.request, NOW + 2)).toEqual({ type: "claim-run" });

    const claimed = transition(second.request, { type: "claim-run" }, NOW + 2);
    expect(claimed).toMatchObject({ ok: true, request: { executedAt: NOW + 2 }, effects: [{ type: "run" }] });
    if (!claimed.ok) return;
    expect(transition(claimed.request, { type: "claim-run" }, NOW + 3)).toEqual({
      ok: false,
      refusal: { code: "already-run" },
    });
    expect(dueEvent(claimed.request, NOW + 3)).toBeUndefined();
  });

  it("refuses a second approval by the same person, saying how many are still needed", () => {
    const once = pending({ approvals: [{ userId: "UBOB", at: NOW }] });
    expect(transition(once, { type: "approve", actor: bob }, NOW)).toEqual({
      ok: false,
      refusal: { code: "already-approved-by-you", remaining: 1 },
    });
  });

  it("lets the requester withdraw but not reject, and nobody else withdraw", () => {
    expect(transition(pending(), { type: "reject", actor: alice }, NOW)).toMatchObject({
      ok: false,
      refusal: { code: "own-request-reject" },
    });
    expect(transition(pending(), { type: "cancel", actor: bob }, NOW)).toMatchObject({
      ok: false,
      refusal: { code: "not-requester" },
    });
    expect(transition(pending(), { type: "cancel", actor: alice }, NOW)).toMatchObject({
      ok: true,
      request: { state: "cancelled" },
      effects: [{ type: "settle-message" }],
    });
  });

  it("records a rejection's reason, and nothing moves a decided request", () => {
    const rejected = transition(pending(), { type: "reject", actor: bob, reason: "not now" }, NOW);
    expect(rejected).toMatchObject({
      ok: true,
      request: { state: "rejected", decidedBy: { reason: "not now" } },
    });
    if (!rejected.ok) return;
    expect(rejected.audit[0]?.summary).toBe("Rejected: not now");
    for (const event of [
      { type: "approve", actor: carol },
      { type: "cancel", actor: alice },
      { type: "expire" },
    ] as const) {
      expect(transition(rejected.request, event, NOW)).toEqual({
        ok: false,
        refusal: { code: "not-pending", state: "rejected" },
      });
    }
  });

  it("expires when due, and refuses decisions after its time even before the sweep", () => {
    const late = NOW + 31 * 60_000;
    expect(dueEvent(pending(), NOW)).toBeUndefined();
    expect(dueEvent(pending(), late)).toEqual({ type: "expire" });
    expect(transition(pending(), { type: "approve", actor: bob }, late)).toEqual({
      ok: false,
      refusal: { code: "expired" },
    });
    expect(transition(pending(), { type: "expire" }, late)).toMatchObject({
      ok: true,
      request: { state: "expired" },
      audit: [{ type: "approval.expired", summary: "Expired with 0 of 2 approvals" }],
    });
  });

  it("is pure: the request it was given is unchanged", () => {
    const before = pending();
    const copy = structuredClone(before);
    transition(before, { type: "approve", actor: bob }, NOW);
    expect(before).toEqual(copy);
  });
});
