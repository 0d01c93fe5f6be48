import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBed, type TestBed } from "../support/test-bed.js";

// Slack shows a person an error when a request is not acknowledged within 3 seconds. What the ack
// promises is saved first; when the store is slower than that (DynamoDB throttling, a slow network
// path), the ack must still come in time, promise nothing, and the outcome follow once saved.
let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 1000 },
    extraConfig: () => "store:\n  dynamodb:\n    table: cdnbot-slow-store\n",
  });
});
afterAll(async () => {
  bed?.dynamodb.holdWrites(false);
  await bed?.close();
});

const parentsIn = (channel: string) =>
  bed.fake.callsTo("chat.postMessage").filter((c) => c.body.channel === channel && !c.body.thread_ts);

describe("a store slower than Slack's 3 seconds", () => {
  it("acks a purge in time with words that promise nothing, then opens its one thread once it is saved", async () => {
    // Prepare: every write to the store waits until released.
    bed.dynamodb.holdWrites(true);

    // Act: a purge while nothing can be saved.
    const sent = await bed.command("purge web /slow.html", { userId: "UALICE", channelId: "CSLOW" });

    // Assess: Slack heard in time (Bolt answers 404 to a request not acked 3 s after it arrived,
    // which Slack shows as an error), and the person was told it is not yet taken.
    expect(sent.status).toBe(200);
    expect((sent.json as { text?: string }).text).toMatch(/^Still saving this request/);
    expect(parentsIn("CSLOW")).toHaveLength(0);

    bed.dynamodb.holdWrites(false);
    const done = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CSLOW" && /Completed in \d+s/.test(String(b.text)),
      30_000,
    );
    expect(String(done.body.text)).toContain("1 path purged from web");
    await sent.done();
    // One thread, one completion, and no error reply to the person.
    expect(parentsIn("CSLOW")).toHaveLength(1);
    expect(
      bed.fake
        .callsTo("chat.postMessage")
        .filter((c) => c.body.channel === "CSLOW" && /Completed in/.test(String(c.body.text))),
    ).toHaveLength(1);
    const path = new URL(sent.responseUrl).pathname;
    expect(bed.fake.calls.filter((c) => c.method === "response_url" && c.path === path)).toEqual([]);
  });
});
