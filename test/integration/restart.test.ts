import { ListInvalidationsCommand } from "@aws-sdk/client-cloudfront";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({ strict: { invalidationCompletesAfterMs: 500 } });
});
afterAll(async () => {
  await bed?.close();
});

describe("a restart while an invalidation is in flight", () => {
  it("goes on following it: the thread gets its Completed message once and nothing is sent twice", async () => {
    bed.strict.holdInvalidations(true);
    await bed.command("purge web /restart.html", { channelId: "CRESTART" });
    const created = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => Boolean(b.thread_ts) && /created/.test(String(b.text)),
    );
    const threadTs = String(created.body.thread_ts);

    await bed.restartBot("kill");
    bed.strict.holdInvalidations(false);

    const done = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.thread_ts === threadTs && /Completed in/.test(String(b.text)),
      15_000,
    );
    expect(String(done.body.text)).toMatch(/Invalidation \S+ Completed in \d+s/);
    await bed.fake.waitForCall(
      "chat.update",
      (b) => b.ts === threadTs && /Status: Completed/.test(String(b.text)),
    );
    await bed.jobRuns("purge.poll", 2);

    const threadPosts = bed.fake.callsTo("chat.postMessage").filter((c) => c.body.thread_ts === threadTs);
    expect(threadPosts.map((c) => String(c.body.text))).toEqual([
      expect.stringMatching(/^Invalidation \S+ created/),
      expect.stringMatching(/^Invalidation \S+ Completed in/),
    ]);
    expect(bed.strict.invalidationsCreated(bed.web.id)).toBe(1);
    const list = await bed.cloudfront.send(new ListInvalidationsCommand({ DistributionId: bed.web.id }));
    expect(list.InvalidationList?.Quantity).toBe(1);
  });
});
