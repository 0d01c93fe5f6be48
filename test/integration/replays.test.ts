import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { post, signSlackRequest, slashCommandBody } from "../support/slack-signer.js";
import { SIGNING_SECRET, startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({ strict: { invalidationCompletesAfterMs: 300 } });
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
});

/** One signed request, exactly as an attacker who captured it would send it again. */
function capture(text: string, channelId: string, timestampSeconds?: number) {
  const raw = slashCommandBody({ text, channelId, responseUrl: bed.fake.responseUrl() });
  const headers = signSlackRequest(SIGNING_SECRET, raw, timestampSeconds);
  return () => post(`${bed.bot.url}/slack/events`, raw, headers);
}

const parentsIn = (channel: string) =>
  bed.fake.callsTo("chat.postMessage").filter((c) => c.body.channel === channel && !c.body.thread_ts);

describe("a signed request sent again", () => {
  it("runs once: three copies of one purge make one invalidation and one thread", async () => {
    const send = capture("purge web /replayed.html", "CREPLAY");

    const answers = [await send(), await send(), await send()];

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CREPLAY" && Boolean(b.thread_ts) && /Completed/.test(String(b.text)),
      15_000,
    );
    expect(bed.strict.counts().CreateInvalidation).toBe(1);
    expect(parentsIn("CREPLAY")).toHaveLength(1);
  });

  it("opens one approval request for a replayed change", async () => {
    const send = capture("comment web Replayed comment", "CREPLAY2");

    await send();
    await bed.fake.waitForCall("chat.postMessage", (b) => b.channel === "CREPLAY2");
    await send();
    await send();

    // The replays were acknowledged and dropped: the bot's log says so for each of them.
    await waitForLog(/Dropped a repeated Slack request/g, 2);
    expect(parentsIn("CREPLAY2")).toHaveLength(1);
    expect(String(parentsIn("CREPLAY2")[0]?.body.text)).toMatch(/Pending approval/);
  });

  it("is still refused after a restart", async () => {
    const send = capture("purge web /after-restart.html", "CREPLAY3");
    await send();
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CREPLAY3" && /Completed/.test(String(b.text)),
      15_000,
    );
    await bed.restartBot("stop");
    bed.strict.resetCounts();

    const again = await send();

    expect(again.status).toBe(200);
    await waitForLog(/Dropped a repeated Slack request/g, 1);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
    expect(parentsIn("CREPLAY3")).toHaveLength(1);
  });

  it("is refused with 401 when it claims to come from the future", async () => {
    const inTenMinutes = Math.floor(Date.now() / 1000) + 600;
    const send = capture("purge web /future.html", "CFUTURE", inTenMinutes);

    const answer = await send();

    expect(answer.status).toBe(401);
    await waitForLog(/Refused a Slack request dated in the future/g, 1);
    expect(bed.fake.calls.filter((c) => c.body.channel === "CFUTURE")).toHaveLength(0);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
  });
});

async function waitForLog(pattern: RegExp, count: number) {
  const deadline = Date.now() + 10_000;
  while ((bed.bot.output().match(pattern) ?? []).length < count) {
    if (Date.now() > deadline) throw new Error(`the log never showed ${pattern} ${count} times`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
