import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BotProcess } from "../support/bot-process.js";
import type { RecordedCall } from "../support/fake-slack.js";
import { postSlashCommand } from "../support/slack-signer.js";
import { SIGNING_SECRET, startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;
let b: BotProcess;

beforeAll(async () => {
  bed = await startTestBed({
    // Long enough that replica A is killed while its invalidation is still running.
    strict: { invalidationCompletesAfterMs: 4_000 },
    otherDistributions: ["shop"],
    extraConfig: (_web, others) =>
      `  shop:\n    id: ${others.shop?.id}\nstore:\n  dynamodb:\n    table: cdnbot-replicas\n`,
  });
  b = await bed.startReplica();
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const completions = (channel: string) =>
  bed.fake
    .callsTo("chat.postMessage")
    .filter((c: RecordedCall) => c.body.channel === channel && /Completed in \d+s/.test(String(c.body.text)));

describe("two replicas on one DynamoDB table", () => {
  it("share the purges: each sent once, each thread told once, the killed replica's taken over", async () => {
    // A takes web's purge, B shop's.
    await bed.command("purge web /index.html", { userId: "UALICE", channelId: "CWEB" });
    await postSlashCommand(b.url, SIGNING_SECRET, {
      text: "purge shop /cart.html",
      responseUrl: bed.fake.responseUrl(),
      userId: "UBOB",
      channelId: "CSHOP",
    });
    await bed.fake.waitForCall(
      "chat.postMessage",
      (m) => m.channel === "CWEB" && /created/.test(String(m.text)),
    );
    await bed.fake.waitForCall(
      "chat.postMessage",
      (m) => m.channel === "CSHOP" && /created/.test(String(m.text)),
    );

    // A dies mid-flight; B must finish web's purge within a lease period.
    await bed.bot.kill();
    const killedAt = Date.now();

    await bed.fake.waitFor(() => completions("CWEB").length > 0 && completions("CSHOP").length > 0, {
      timeoutMs: 60_000,
      description: "both purges Completed",
    });
    // Any duplicate would have been posted by B's next polls: count after two more of them.
    const polls = () =>
      b
        .output()
        .split("\n")
        .filter((l) => l.includes('"job":"purge.poll"')).length;
    const seen = polls();
    await bed.fake.waitFor(() => polls() >= seen + 2 || undefined, {
      timeoutMs: 30_000,
      description: "two more polls on B",
    });
    expect(completions("CWEB")).toHaveLength(1);
    expect(completions("CWEB")[0]!.at).toBeGreaterThan(killedAt);
    expect(completions("CSHOP")).toHaveLength(1);
    expect(bed.strict.counts().CreateInvalidation).toBe(2);
  }, 90_000);
});
