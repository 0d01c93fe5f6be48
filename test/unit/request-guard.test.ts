import type { Context } from "@slack/bolt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ACK_WITHIN_MS, ackedEarly, STILL_SAVING } from "../../handlers/ack-deadline.js";
import { requestGuard } from "../../handlers/request-guards.js";
import { silentLogger } from "../../src/logger.js";

// The middleware every Slack request passes: a repeat of a trigger_id is dropped, and a claim that
// takes longer to save than Slack waits is acknowledged first.

function request(claim: (triggerId: string) => Promise<boolean>) {
  const acks: unknown[] = [];
  let passedOn = 0;
  const context = {} as Context;
  const guard = requestGuard({ replays: { claim }, logger: silentLogger });
  const run = () =>
    guard({
      body: { trigger_id: "t-1", command: "/cdn" },
      command: { text: "purge web /a" },
      ack: async (answer?: unknown) => void acks.push(answer),
      context,
      next: async () => void passedOn++,
    } as never);
  return { acks, run, context, passedOn: () => passedOn };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the request guard", () => {
  it("passes a first request on without acking it (its handler acks)", async () => {
    const r = request(async () => true);
    await r.run();
    expect(r.passedOn()).toBe(1);
    expect(r.acks).toEqual([]);
  });

  it("claims nothing for a click: a vote is kept once per person, and its ack's time is the vote's", async () => {
    const claimed: string[] = [];
    const guard = requestGuard({
      replays: {
        claim: async (id) => {
          claimed.push(id);
          return true;
        },
      },
      logger: silentLogger,
    });
    let passedOn = 0;
    await guard({
      body: { type: "block_actions", trigger_id: "t-2" },
      action: { action_id: "approval_approve", value: "R1A2B3C" },
      ack: async () => {},
      context: {} as Context,
      next: async () => void passedOn++,
    } as never);
    expect(passedOn).toBe(1);
    expect(claimed).toEqual([]);
  });

  it("acks a repeat and drops it", async () => {
    const r = request(async () => false);
    await r.run();
    expect(r.passedOn()).toBe(0);
    expect(r.acks).toEqual([undefined]);
  });

  it("acks a command whose claim is slow at the deadline, with words that promise nothing, then passes it on", async () => {
    vi.useFakeTimers();
    let claimed!: (fresh: boolean) => void;
    const r = request(() => new Promise((resolve) => (claimed = resolve)));
    const running = r.run();
    await vi.advanceTimersByTimeAsync(ACK_WITHIN_MS);
    expect(r.acks).toEqual([{ response_type: "ephemeral", text: STILL_SAVING }]);
    expect(ackedEarly(r.context)).toBe(true);
    expect(r.passedOn()).toBe(0);
    claimed(true);
    await running;
    expect(r.passedOn()).toBe(1);
    expect(r.acks).toHaveLength(1);
  });

  it("drops a slow repeat without acking it a second time", async () => {
    vi.useFakeTimers();
    let claimed!: (fresh: boolean) => void;
    const r = request(() => new Promise((resolve) => (claimed = resolve)));
    const running = r.run();
    await vi.advanceTimersByTimeAsync(ACK_WITHIN_MS);
    claimed(false);
    await running;
    expect(r.passedOn()).toBe(0);
    expect(r.acks).toHaveLength(1);
  });
});
