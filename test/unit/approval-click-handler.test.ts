import type { Context } from "@slack/bolt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ACK_WITHIN_MS, STILL_SAVING_VOTE, stampArrival } from "../../handlers/ack-deadline.js";
import { type HomeRedraw, handleApprovalClick } from "../../handlers/approval-actions.js";
import type { ApprovalDeps, recordDecision } from "../../src/approvals/approval-service.js";
import { UserError } from "../../src/errors.js";
import { silentLogger } from "../../src/logger.js";

// The Approve button's handler alone, with a fake ack, respond and context as Bolt hands them over,
// and the vote's storing replaced: the order the person and Slack hear things in.

type Record = typeof recordDecision;

function click(
  record: Record,
  options: { value?: string; fromHome?: boolean; context?: Context; redraws?: string[] } = {},
) {
  const events: string[] = [];
  const redraw: HomeRedraw = async (_client, viewer, notice) => {
    events.push(`home for ${viewer.userId}: ${notice}`);
  };
  const handler = handleApprovalClick(
    { logger: silentLogger } as unknown as ApprovalDeps,
    "approve",
    redraw,
    record,
  );
  const run = () =>
    handler({
      ack: async () => void events.push("ack"),
      respond: async (answer: { text?: string }) => void events.push(`reply: ${answer.text}`),
      body: {
        user: { id: "UBOB", team_id: "T1" },
        team: { id: "T1" },
        channel: { id: "CDEPLOYS" },
        ...(options.fromHome ? { view: { type: "home" } } : {}),
      },
      action: { action_id: "approval_approve", value: options.value ?? "R1A2B3C" },
      client: {},
      context: options.context ?? ({} as Context),
    } as never);
  return { events, run };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the Approve button's handler", () => {
  it("answers a button that points at no request without storing anything", async () => {
    const record = vi.fn<Record>();
    const { events, run } = click(record, { value: "<script>" });
    await run();
    expect(record).not.toHaveBeenCalled();
    expect(events).toEqual([
      "ack",
      "reply: This button does not point at a request I know. Nothing was changed.",
    ]);
  });

  it("stores the vote before the ack, then says what it started", async () => {
    const events: string[] = [];
    const record: Record = async (_deps, input) => {
      events.push(`vote ${input.requestId} by ${input.actor.userId}`);
      return { carryOut: async () => "You approved request R1A2B3C; I am carrying it out." };
    };
    const c = click(record);
    await c.run();
    expect([...events, ...c.events]).toEqual([
      "vote R1A2B3C by UBOB",
      "ack",
      "reply: You approved request R1A2B3C; I am carrying it out.",
    ]);
  });

  it("shows a refusal literally, after the ack", async () => {
    const { events, run } = click(async () => {
      throw new UserError(
        "You asked for R1A2B3C yourself: someone else must approve it. *Nothing* was changed.",
      );
    });
    await run();
    expect(events).toEqual([
      "ack",
      "reply: You asked for R1A2B3C yourself: someone else must approve it. *Nothing* was changed.",
    ]);
  });

  it("acks at the deadline when the vote is slow, and tells the outcome once it is stored", async () => {
    vi.useFakeTimers();
    let stored!: () => void;
    const context = {} as Context;
    stampArrival(context);
    const { events, run } = click(
      () =>
        new Promise((resolve) => {
          stored = () => resolve({ carryOut: async () => "You approved request R1A2B3C." });
        }),
      { context },
    );
    const running = run();
    await vi.advanceTimersByTimeAsync(ACK_WITHIN_MS - 1);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    // Not a promise yet: the person is told so, and that a second click is safe.
    expect(events).toEqual(["ack", `reply: ${STILL_SAVING_VOTE}`]);
    stored();
    await running;
    expect(events).toEqual(["ack", `reply: ${STILL_SAVING_VOTE}`, "reply: You approved request R1A2B3C."]);
  });

  it("redraws the Home tab with the outcome when the click came from there", async () => {
    const { events, run } = click(async () => ({ carryOut: async () => "You approved request R1A2B3C." }), {
      fromHome: true,
    });
    await run();
    expect(events).toEqual(["ack", "home for UBOB: You approved request R1A2B3C."]);
  });
});
