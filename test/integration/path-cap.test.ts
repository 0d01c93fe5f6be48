import { GetInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RecordedCall } from "../support/fake-slack.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

/**
 * The monthly path cap counts what was accepted, not only what was billed: a burst inside one
 * coalescing window (nothing billed yet) cannot slip past it.
 */
let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 500 },
    extraConfig: () => "purge:\n  monthlyPathCap: 10\n",
  });
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
});

const textOf = (c: RecordedCall) => String(c.body.text ?? "");

/** Every path CloudFront was asked to invalidate on `web` since the bed started. */
async function pathsSent(): Promise<string[]> {
  const ids = bed.fake
    .callsTo("chat.postMessage")
    .map((c) => /Invalidation (\S+) created/.exec(textOf(c))?.[1])
    .filter((id): id is string => id !== undefined);
  const paths = new Set<string>();
  for (const id of new Set(ids)) {
    const out = await bed.cloudfront.send(new GetInvalidationCommand({ DistributionId: bed.web.id, Id: id }));
    for (const p of out.Invalidation?.InvalidationBatch?.Paths?.Items ?? []) paths.add(p);
  }
  return [...paths];
}

describe("purge.monthlyPathCap under a burst", () => {
  it("20 one-path purges at the same instant with a cap of 10: ten are sent, ten wait for approval", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        bed.command(`purge web /cap/${i}.html`, { userId: `UCAP${i}`, channelId: "CCAP" }),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);

    const parents = await bed.fake.waitFor(
      (calls) => {
        const mine = calls.filter(
          (c) => c.method === "chat.postMessage" && c.body.channel === "CCAP" && !c.body.thread_ts,
        );
        return mine.length >= 20 ? mine : undefined;
      },
      { description: "a thread or an approval request for each of the 20" },
    );
    const waiting = parents.filter((p) => /Pending approval/.test(textOf(p)));
    const started = parents.filter((p) => /^Purge of web/.test(textOf(p)));
    expect(waiting).toHaveLength(10);
    // Each says why it waits: the people asked to approve see the cap, not only a lock.
    for (const p of waiting) expect(textOf(p)).toMatch(/past the configured cap of 10 invalidation paths/);
    expect(started).toHaveLength(10);
    // Each started purge completes; the paths CloudFront got stay within the cap.
    await bed.fake.waitFor(
      (calls) =>
        calls.filter((c) => c.body.channel === "CCAP" && /Completed in/.test(textOf(c))).length >= 10 ||
        undefined,
      { timeoutMs: 20_000, description: "the ten purges under the cap to complete" },
    );
    await bed.jobRuns("purge.send", 2);
    expect(await pathsSent()).toHaveLength(10);
  });
});
