import { ListInvalidationsCommand } from "@aws-sdk/client-cloudfront";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requestIdIn } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 500 },
    otherDistributions: ["second"],
    extraConfig: (_w, o) => `  second:\n    id: ${o.second!.id}\n`,
  });
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
});

async function invalidationsAtAws(distributionId: string): Promise<number> {
  const out = await bed.cloudfront.send(new ListInvalidationsCommand({ DistributionId: distributionId }));
  return out.InvalidationList?.Quantity ?? 0;
}

async function threadOf(channelId: string): Promise<string> {
  const parent = await bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.channel === channelId && !b.thread_ts,
  );
  return String(parent.response?.ts);
}

async function expectOneCompletion(threadTs: string) {
  await bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.thread_ts === threadTs && /Completed in/.test(String(b.text)),
    20_000,
  );
  await bed.jobRuns("purge.poll", 2);
  const finals = bed.fake
    .callsTo("chat.postMessage")
    .filter((c) => c.body.thread_ts === threadTs && /Completed in|Failed/.test(String(c.body.text)));
  expect(finals).toHaveLength(1);
}

describe("a crash around CreateInvalidation", () => {
  it("killed after the intent is stored, before AWS got the call: one invalidation, one completion", async () => {
    const before = await invalidationsAtAws(bed.others.second!.id);
    // The call reaches the strict layer but never moto: AWS never sees it.
    bed.strict.failNext("CreateInvalidation", { status: 503, code: "ServiceUnavailable", delayMs: 10_000 });
    await bed.command("purge second /before.html", { channelId: "CCRASH1" });
    const threadTs = await threadOf("CCRASH1");
    await bed.fake.waitFor(() => bed.strict.requests.some((r) => r.operation === "CreateInvalidation"), {
      description: "CreateInvalidation in flight",
    });

    await bed.restartBot("kill");

    await expectOneCompletion(threadTs);
    expect((await invalidationsAtAws(bed.others.second!.id)) - before).toBe(1);
  });

  it("killed after AWS created the invalidation, before the bot heard back: the retry gets the same one", async () => {
    const before = await invalidationsAtAws(bed.web.id);
    const createdBefore = bed.strict.invalidationsCreated(bed.web.id);
    bed.strict.delayNextResponse("CreateInvalidation", 10_000);
    await bed.command("purge web /after.html", { channelId: "CCRASH2" });
    const threadTs = await threadOf("CCRASH2");
    await bed.fake.waitFor(() => bed.strict.invalidationsCreated(bed.web.id) > createdBefore, {
      description: "the invalidation created at AWS",
    });

    await bed.restartBot("kill");

    await expectOneCompletion(threadTs);
    expect(bed.strict.counts().CreateInvalidation).toBe(2); // the first call and the retry after the restart
    expect(bed.strict.invalidationsCreated(bed.web.id) - createdBefore).toBe(1);
    expect((await invalidationsAtAws(bed.web.id)) - before).toBe(1);
  });
});

describe("a crash while UpdateDistribution is in flight", () => {
  it("resolves the write from the distribution's own fields and tells the thread once", async () => {
    await bed.command("comment second Written once", { userId: "UALICE", channelId: "CCRASH3" });
    const request = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CCRASH3" && /Pending approval/.test(String(b.text)),
    );
    const requestId = requestIdIn(String(request.body.text));
    const threadTs = String(request.response?.ts);
    // AWS applies the write, but its answer never reaches the bot before it dies.
    bed.strict.delayNextResponse("UpdateDistribution", 10_000);
    await bed.click("approval_approve", requestId, {
      userId: "UBOB",
      messageTs: threadTs,
      channelId: "CCRASH3",
    });
    await bed.fake.waitFor(() => bed.strict.requests.some((r) => r.operation === "UpdateDistribution"), {
      description: "UpdateDistribution in flight",
    });

    await bed.restartBot("kill");

    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.thread_ts === threadTs && /is Deployed on second/.test(String(b.text)),
      20_000,
    );
    await bed.jobRuns("changes", 2);
    const replies = bed.fake
      .callsTo("chat.postMessage")
      .filter((c) => c.body.thread_ts === threadTs)
      .map((c) => String(c.body.text));
    expect(replies.filter((t) => /written to second/.test(t))).toHaveLength(1);
    expect(replies.filter((t) => /is Deployed on/.test(t))).toHaveLength(1);
    expect(replies.join("\n")).not.toMatch(/already had these settings|nothing needed writing/);
    expect(bed.strict.counts().UpdateDistribution).toBe(1);
  });
});

describe("many requesters at once", () => {
  it("coalesces purges within the window into one invalidation, each thread getting its own completion", async () => {
    const before = await invalidationsAtAws(bed.web.id);
    await Promise.all([
      bed.command("purge web /img/a.png /index.html", { userId: "UALICE", channelId: "CTEAM1" }),
      bed.command("purge web /index.html /about.html", { userId: "UBOB", channelId: "CTEAM2" }),
    ]);
    const [alice, bob] = await Promise.all([threadOf("CTEAM1"), threadOf("CTEAM2")]);

    await Promise.all([expectOneCompletion(alice), expectOneCompletion(bob)]);
    expect((await invalidationsAtAws(bed.web.id)) - before).toBe(1);
    expect(bed.strict.counts().CreateInvalidation).toBe(1);
  });

  it("honours Slack's 429 Retry-After and still posts the thread", async () => {
    bed.fake.rateLimitNext("chat.postMessage", 1);
    await bed.command("purge web /ratelimited.html", { channelId: "CLIMIT" });

    const retried = await bed.fake.waitFor(
      (calls) =>
        calls.find(
          (c) => c.method === "chat.postMessage" && c.body.channel === "CLIMIT" && c.response?.ok === true,
        ),
      { timeoutMs: 15_000, description: "the retried post" },
    );
    const [limited] = bed.fake.callsTo("chat.postMessage").filter((c) => c.body.channel === "CLIMIT");
    expect(limited?.response).toEqual({ ok: false, error: "ratelimited" });
    expect(retried.at - limited!.at).toBeGreaterThanOrEqual(1000);
    await expectOneCompletion(String(retried.response?.ts));
  });
});
