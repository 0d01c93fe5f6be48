import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedCall } from "../support/fake-slack.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

/**
 * SIGTERM while hundreds of purges are queued and AWS does not answer: the bot stops within 10 s
 * (it abandons the call in flight: nothing acked is lost, the store already has it), and the next
 * start sends and reports every purge once.
 */
let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 500 },
    otherDistributions: ["shop", "docs"],
    extraConfig: (_web, others) =>
      Object.values(others)
        .map((d) => `  ${d.alias}:\n    id: ${d.id}\n`)
        .join(""),
    env: { CDNBOT_POLL_MS: "1000" },
  });
});
afterAll(async () => {
  await bed?.close();
});

const textOf = (call: RecordedCall) => String(call.body.text ?? "");

describe("a clean stop", () => {
  it("exits within 10 s of SIGTERM whatever AWS does, and the next start finishes everything once", async () => {
    // CloudFront takes a minute to answer: far past the bot's own 10 s timeout for one call.
    for (const call of ["CreateInvalidation", "ListInvalidations", "GetInvalidation"])
      bed.strict.delayNextResponse(call, 60_000, 10_000);
    const channel = "CSTOP";
    const users = Array.from({ length: 150 }, (_, i) => `USTOP${i}`);
    const aliases = ["web", "shop", "docs"];
    const acked = await Promise.all(
      users.map((user, i) =>
        bed.command(`purge ${aliases[i % 3]} /stop/${i}.html`, { userId: user, channelId: channel }),
      ),
    );
    expect(acked.every((r) => r.status === 200)).toBe(true);
    // A batch waits for the purges asked for within its window to join it (at most 5 s past the
    // window), and 150 threads are opened first: on a loaded machine the first send takes a while.
    await bed.fake.waitFor(() => (bed.strict.counts().CreateInvalidation ?? 0) > 0 || undefined, {
      timeoutMs: 30_000,
      description: "a CreateInvalidation in flight",
    });

    const stopping = performance.now();
    await bed.bot.stop();
    const stoppedInMs = performance.now() - stopping;
    expect(await bed.bot.exited).toBe(0);
    expect(stoppedInMs, "ms from SIGTERM to exit").toBeLessThan(10_000);
    expect(bed.bot.output()).toMatch(/Shutting down/);

    bed.strict.stopDelaying();
    await bed.restartBot("stop");
    const parentsOf = (user: string) =>
      bed.fake
        .callsTo("chat.postMessage")
        .filter((c) => c.body.channel === channel && !c.body.thread_ts && textOf(c).includes(`<@${user}>`));
    const completionsIn = (ts: string) =>
      bed.fake
        .callsTo("chat.postMessage")
        .filter((c) => c.body.thread_ts === ts && /Completed in/.test(textOf(c)));
    await bed.fake.waitFor(
      () =>
        users.every((u) => parentsOf(u).some((p) => completionsIn(String(p.response?.ts)).length > 0)) ||
        undefined,
      { timeoutMs: 90_000, description: "every purge completed after the restart" },
    );
    await bed.jobRuns("purge.poll", 2);
    for (const user of users) {
      expect(parentsOf(user), `${user}'s threads`).toHaveLength(1);
      expect(completionsIn(String(parentsOf(user)[0]!.response?.ts)), `${user}'s completions`).toHaveLength(
        1,
      );
    }
  }, 180_000);
});
