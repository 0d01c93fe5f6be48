import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashToken, mintToken } from "../../src/api/api-clients.js";
import type { RecordedCall } from "../support/fake-slack.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

/**
 * Many requests at the same instant against the real bot (signed slash commands and the HTTP API,
 * moto behind the strict layer, the fake Slack recording every message): everything acked is sent,
 * in as few invalidations as the window allows, and every requester is told exactly once.
 */
const PIPELINE = mintToken();
const SHOPS = ["s1", "s2", "s3", "s4"];
let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 1000 },
    env: { CDNBOT_POLL_MS: "1000" },
    otherDistributions: SHOPS,
    extraConfig: (_web, others) =>
      [
        "    channel: CWEBAPI",
        ...SHOPS.flatMap((alias) => [`  ${alias}:`, `    id: ${others[alias]?.id}`]),
        "api:",
        "  clients:",
        "    web-deploy:",
        `      tokenHash: ${hashToken(PIPELINE)}`,
        "      distributions: [web]",
        "      actions: [purge]",
        // A deploy pipeline that purges a hundred at once says so: the default is 60 a minute.
        "      requestsPerMinute: 1000",
        "",
      ].join("\n"),
  });
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
});

const textOf = (call: RecordedCall) => String(call.body.text ?? "");
const parents = () =>
  bed.fake.callsTo("chat.postMessage").filter((c) => !c.body.thread_ts && /^Purge of /.test(textOf(c)));
const completionsIn = (threadTs: string) =>
  bed.fake
    .callsTo("chat.postMessage")
    .filter((c) => c.body.thread_ts === threadTs && /Completed in/.test(textOf(c)));

/** CreateInvalidation calls for this distribution since the test began (retries included). */
const invalidationsSent = (distributionId: string) =>
  bed.strict.requests.filter(
    (r) => r.operation === "CreateInvalidation" && r.distributionId === distributionId,
  ).length;

/** Waits until every one of `count` threads matching `mine` has its completion; returns their ts. */
async function allCompleted(count: number, mine: (parent: RecordedCall) => boolean): Promise<string[]> {
  return bed.fake.waitFor(
    () => {
      const tss = parents()
        .filter(mine)
        .map((p) => String(p.response?.ts));
      return tss.length >= count && tss.every((ts) => completionsIn(ts).length > 0) ? tss : undefined;
    },
    { timeoutMs: 60_000, description: `${count} threads to reach Completed` },
  );
}

/** After two more passes of the poll job: each thread has one parent and one completion, no more. */
async function expectToldOnce(threads: string[], count: number, mine: (parent: RecordedCall) => boolean) {
  await bed.jobRuns("purge.poll", 2);
  expect(parents().filter(mine)).toHaveLength(count);
  for (const ts of threads) expect(completionsIn(ts), ts).toHaveLength(1);
}

describe("a burst of purges at the same instant", () => {
  it("100 concurrent /cdn purge on one distribution: all acked, one invalidation, each told once", async () => {
    const users = Array.from({ length: 100 }, (_, i) => `UBURST${String(i).padStart(3, "0")}`);

    const results = await Promise.all(
      users.map((user, i) =>
        bed.command(`purge web /burst/${i}.html`, { userId: user, channelId: "CBURST" }),
      ),
    );

    expect(results.map((r) => r.status)).toEqual(users.map(() => 200));
    const mine = (p: RecordedCall) => p.body.channel === "CBURST";
    const threads = await allCompleted(100, mine);
    await expectToldOnce(threads, 100, mine);
    for (const user of users)
      expect(parents().filter((p) => textOf(p).includes(`<@${user}>`))).toHaveLength(1);
    // The floor is one; a window closing in the middle of the burst may make two.
    expect(invalidationsSent(bed.web.id)).toBeGreaterThanOrEqual(1);
    expect(invalidationsSent(bed.web.id)).toBeLessThanOrEqual(2);

    // The next purge still works.
    await bed.command("purge web /after.html", { userId: "UAFTER", channelId: "CBURST" });
    await allCompleted(1, (p) => textOf(p).includes("<@UAFTER>"));
    expect(invalidationsSent(bed.web.id)).toBeLessThanOrEqual(3);
  }, 120_000);

  it("100 concurrent on five distributions: each distribution's purges share one invalidation", async () => {
    const aliases = ["web", ...SHOPS];

    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        bed.command(`purge ${aliases[i % 5]} /many/${i}.html`, { userId: `UMANY${i}`, channelId: "CMANY" }),
      ),
    );

    expect(results.every((r) => r.status === 200)).toBe(true);
    const mine = (p: RecordedCall) => p.body.channel === "CMANY";
    const threads = await allCompleted(100, mine);
    await expectToldOnce(threads, 100, mine);
    const ids = [bed.web.id, ...SHOPS.map((a) => bed.others[a]!.id)];
    for (const id of ids) expect(invalidationsSent(id), id).toBeLessThanOrEqual(2);
  }, 120_000);

  it("100 concurrent API purges, half with their own Idempotency-Key: 100 new operations, none lost", async () => {
    const send = (i: number) =>
      fetch(`${bed.bot.url}/api/v1/purges`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${PIPELINE}`,
          "content-type": "application/json",
          ...(i % 2 === 0 ? { "idempotency-key": `deploy-${i}-${Date.now()}` } : {}),
        },
        body: JSON.stringify({ distribution: "web", paths: [`/api/${i}.js`] }),
      });

    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => send(i)));

    // A first request is never answered as a replay, and never with an error for work it recorded.
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(0);
    const ids = await Promise.all(answers.map(async (a) => ((await a.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(100);
    const mine = (p: RecordedCall) => p.body.channel === "CWEBAPI";
    const threads = await allCompleted(100, mine);
    await expectToldOnce(threads, 100, mine);
    expect(invalidationsSent(bed.web.id)).toBeLessThanOrEqual(2);
    for (const id of ids.slice(0, 5)) {
      const status = await fetch(`${bed.bot.url}/api/v1/operations/${id}`, {
        headers: { authorization: `Bearer ${PIPELINE}` },
      });
      expect(((await status.json()) as { state: string }).state).toBe("completed");
    }
  }, 120_000);
});
