import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 800 },
    otherDistributions: ["shop"],
    extraConfig: (_, others) => `  shop:\n    id: ${others.shop!.id}\n`,
    env: { CDNBOT_AWS_TIMEOUT_MS: "400" },
  });
});
afterAll(async () => {
  await bed?.close();
});

const inThread = (channel: string, pattern: RegExp) =>
  bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.channel === channel && Boolean(b.thread_ts) && pattern.test(String(b.text)),
    15_000,
  );

describe("a CloudFront that accepts calls and never answers", () => {
  it("wedges nothing: new purges start, the thread hears of the delay, and tracking resumes", async () => {
    // Every read of invalidations hangs for a minute, as a stuck connection would.
    bed.strict.delayNextResponse("ListInvalidations", 60_000, 1000);
    bed.strict.delayNextResponse("GetInvalidation", 60_000, 1000);

    await bed.command("purge web /slow.html", { channelId: "CSLOW" });
    await inThread("CSLOW", /created/);
    const delayed = await inThread("CSLOW", /slow to answer/);
    expect(String(delayed.body.text)).toMatch(/I keep checking/);
    expect(bed.bot.output()).toMatch(/"code":"TimeoutError".*"msg":"ListInvalidations failed"/);

    // A purge asked while reads hang still reaches CloudFront and its thread.
    await bed.command("purge shop /meanwhile.html", { channelId: "CSHOP" });
    await inThread("CSHOP", /created/);

    bed.strict.stopDelaying();
    await inThread("CSLOW", /Completed in/);
    await inThread("CSHOP", /Completed in/);
  });
});
