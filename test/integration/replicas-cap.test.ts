import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BotProcess } from "../support/bot-process.js";
import type { RecordedCall } from "../support/fake-slack.js";
import { postSlashCommand } from "../support/slack-signer.js";
import { SIGNING_SECRET, startTestBed, type TestBed } from "../support/test-bed.js";

/**
 * The monthly path cap holds across replicas: two of them asked at the same instant cannot both
 * let in the last paths under it (each decides under the store's lease, not only its own lock).
 */
let bed: TestBed;
let b: BotProcess;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 500 },
    extraConfig: () => "purge:\n  monthlyPathCap: 10\nstore:\n  dynamodb:\n    table: cdnbot-cap-replicas\n",
  });
  b = await bed.startReplica();
}, 60_000);
afterAll(async () => {
  await bed?.close();
});

const textOf = (c: RecordedCall) => String(c.body.text ?? "");

describe("purge.monthlyPathCap on two replicas", () => {
  it("20 one-path purges at the same instant, half on each replica, with a cap of 10: ten start, ten wait", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postSlashCommand(i % 2 === 0 ? bed.bot.url : b.url, SIGNING_SECRET, {
          text: `purge web /cap/${i}.html`,
          responseUrl: bed.fake.responseUrl(),
          userId: `UCAP${i}`,
          channelId: "CCAP",
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));

    const parents = await bed.fake.waitFor(
      (calls) => {
        const mine = calls.filter(
          (c) => c.method === "chat.postMessage" && c.body.channel === "CCAP" && !c.body.thread_ts,
        );
        return mine.length >= 20 ? mine : undefined;
      },
      // Twenty decisions one at a time across two replicas, on a one-call-at-a-time DynamoDB: 62 s
      // beside the whole suite on Node 22, 16 of 20 after 90 s on a loaded Node 24 run.
      { timeoutMs: 150_000, description: "a thread or an approval request for each of the 20" },
    );
    // Each requester has one answer in the channel: a thread, or a request for approval.
    const users = Array.from({ length: 20 }, (_, i) => `UCAP${i}`);
    const answersTo = (user: string) => parents.filter((p) => textOf(p).includes(`<@${user}>`));
    expect(users.filter((u) => answersTo(u).length !== 1)).toEqual([]);
    expect(parents.filter((p) => /^Purge of web/.test(textOf(p)))).toHaveLength(10);
    expect(parents.filter((p) => /Pending approval/.test(textOf(p)))).toHaveLength(10);
  }, 180_000);
});
