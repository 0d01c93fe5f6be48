import { rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestIdIn } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({ strict: { invalidationCompletesAfterMs: 300 } });
});
afterAll(async () => {
  await bed?.close();
});

describe("the state file", () => {
  it("when it cannot be written, a purge is refused as it is told, and a restart does not revive it", async () => {
    // The data directory becomes a file: neither the log nor the state file can be written there.
    const dir = dirname(bed.bot.dataFile);
    await rm(dir, { recursive: true, force: true, maxRetries: 10 });
    await writeFile(dir, "not a directory");
    const creates = bed.strict.counts().CreateInvalidation ?? 0;

    const res = await bed.command("purge web /unsaved.html", { channelId: "CUNSAVED" });

    // Refused in the ack itself: the purge could not be made durable, so the bot never said "yes".
    expect(res.status).toBe(200);
    expect(String((res.json as { text?: string }).text)).toMatch(
      /could not save this request to my state file, so I did nothing/,
    );
    await rm(dir);
    await bed.restartBot("stop");
    await bed.jobRuns("purge.send", 3);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(creates);
    expect(bed.fake.calls.filter((c) => c.body.channel === "CUNSAVED")).toHaveLength(0);
  });

  it("when its directory is removed while the bot runs, it is recreated and nothing is lost", async () => {
    await bed.command("purge web /img/*", { channelId: "CGONE", userId: "UALICE" });
    const request = await bed.fake.waitForCall("chat.postMessage", (b) => b.channel === "CGONE");
    const requestId = requestIdIn(String(request.body.text));
    expect(requestId).toBeDefined();

    // Retried: the bot may be writing into it while it goes.
    await rm(dirname(bed.bot.dataFile), { recursive: true, force: true, maxRetries: 10 });
    const res = await bed.command("status web", { channelId: "CGONE" });
    await bed.fake.waitForReply(res.responseUrl);
    await bed.command("purge web /still-works.html", { channelId: "CGONE2" });
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CGONE2" && /Completed in/.test(String(b.text)),
      15_000,
    );

    await bed.restartBot("stop");
    const approve = await bed.click("approval_approve", requestId!, { userId: "UBOB", channelId: "CGONE" });
    expect(String((await bed.fake.waitForReply(approve.responseUrl)).body.text)).toMatch(
      /You approved request/,
    );
  });
});
