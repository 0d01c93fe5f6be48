import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { startBot, workDir } from "../test/support/bot-process.js";
import type { FakeSlack } from "../test/support/fake-slack.js";
import { createTestDistribution } from "../test/support/moto.js";
import { postSlashCommand } from "../test/support/slack-signer.js";
import type { StrictCloudFront } from "../test/support/strict-cloudfront.js";
import { round } from "./engine-simulations.js";
import { percentile, rssMb, SECRET, startBareBolt } from "./process-measurements.js";

/** Sends `count` signed `/cdn purge` commands at the same instant, each from its own person. */
async function burst(url: string, count: number, channelId: string, responseUrl: string, tag: string) {
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      postSlashCommand(url, SECRET, {
        text: `purge burst /burst/${tag}/${i}.html`,
        userId: `UB${tag}${i}`,
        channelId,
        responseUrl,
      }),
    ),
  );
  const failed = answers.find((a) => a.status !== 200);
  if (failed) throw new Error(`an ack answered ${failed.status}: ${failed.body}`);
  return answers.map((a) => a.elapsedMs).sort((a, b) => a - b);
}

/**
 * The burst figure: 100 `/cdn purge` at the same instant on one distribution, against the real bot
 * on its default store. Invalidations made against the floor (one), requesters told exactly once
 * (one thread, one completion each), and the ack p99 against a bare Bolt app's under the same burst.
 */
export async function measureBurst(
  env: Record<string, string>,
  cloudfront: CloudFrontClient,
  fake: FakeSlack,
  strict: StrictCloudFront,
) {
  const count = 100;
  const dist = await createTestDistribution(cloudfront, { comment: "burst" });
  const config = `distributions:\n  burst:\n    id: ${dist.id}\n`;
  const bot = await startBot({ env: { ...env, CDNBOT_POLL_MS: "1000" }, config });
  const bare = await startBareBolt(env);
  try {
    // Warm-up (JIT, connection pools), then the bare app's burst, then the bot's.
    await burst(bare.url, 20, "CWARM", fake.responseUrl("bench"), "w");
    await burst(bot.url, 20, "CWARM", fake.responseUrl("bench"), "w");
    const warmCreates = creates(strict, dist.id);
    const bareAcks = await burst(bare.url, count, "CBAREBURST", fake.responseUrl("bench"), "b");
    const started = performance.now();
    const botAcks = await burst(bot.url, count, "CBURST", fake.responseUrl("bench"), "c");
    const parents = () =>
      fake
        .callsTo("chat.postMessage")
        .filter(
          (c) =>
            c.body.channel === "CBURST" && !c.body.thread_ts && /^Purge of burst/.test(String(c.body.text)),
        );
    const completions = (ts: string) =>
      fake
        .callsTo("chat.postMessage")
        .filter((c) => c.body.thread_ts === ts && /Completed in/.test(String(c.body.text)));
    await fake.waitFor(
      () => {
        const ps = parents();
        return ps.length >= count && ps.every((p) => completions(String(p.response?.ts)).length > 0)
          ? true
          : undefined;
      },
      { timeoutMs: 120_000, description: "every purge of the burst to complete" },
    );
    const allCompletedSeconds = (performance.now() - started) / 1000;
    // Two more seconds of polling: nothing more may be said.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const toldOnce = Array.from({ length: count }, (_, i) => `UBc${i}`).filter((user) => {
      const mine = parents().filter((p) => String(p.body.text).includes(`<@${user}>`));
      return mine.length === 1 && completions(String(mine[0]!.response?.ts)).length === 1;
    }).length;
    const invalidations = creates(strict, dist.id) - warmCreates;
    const cdnbotP99 = round(percentile(botAcks, 99), 2);
    const bareP99 = round(percentile(bareAcks, 99), 2);
    return {
      purges: count,
      invalidations,
      floor: 1,
      ratioToFloor: round(invalidations / 1, 2),
      toldExactlyOnce: toldOnce,
      allCompletedSeconds: round(allCompletedSeconds, 1),
      ackP99Ms: { cdnbot: cdnbotP99, bareBolt: bareP99 },
      ratioAckP99: round(cdnbotP99 / bareP99, 2),
    };
  } finally {
    bare.stop();
    await bot.stop();
  }
}

function creates(strict: StrictCloudFront, distributionId: string): number {
  return strict.requests.filter(
    (r) => r.operation === "CreateInvalidation" && r.distributionId === distributionId,
  ).length;
}

/**
 * Memory while queues drain: 500 purges at once over ten distributions, the bot pacing
 * CreateInvalidation at its default 0.5/s, three times over. RSS is read at idle before, right after
 * each round's acks, every 250 ms while its purges are carried out and reported, and once all are.
 * A first round grows the heap to what such a queue needs; later rounds show whether it stays there
 * (flat) or keeps what each round leaves behind (a leak).
 */
export async function measureDrainMemory(
  env: Record<string, string>,
  cloudfront: CloudFrontClient,
  fake: FakeSlack,
) {
  const count = 500;
  const distributions = await Promise.all(
    Array.from({ length: 10 }, (_, i) => createTestDistribution(cloudfront, { comment: `drain${i}` })),
  );
  const config = `distributions:\n${distributions.map((d, i) => `  drain${i}:\n    id: ${d.id}\n`).join("")}`;
  const probeFile = join(await workDir(), "memory.json");
  const bot = await startBot({
    env: {
      ...env,
      CDNBOT_POLL_MS: "1000",
      NODE_OPTIONS: `--expose-gc --require ${join(import.meta.dirname, "gc-probe.cjs")}`,
      GC_PROBE_FILE: probeFile,
    },
    config,
  });
  /** The heap the bot really keeps: what is left after a full collection, in MB. */
  const keptHeapMb = async () => {
    await rm(probeFile, { force: true });
    process.kill(bot.pid, "SIGUSR2");
    for (let i = 0; i < 200; i++) {
      const text = await readFile(probeFile, "utf8").catch(() => "");
      if (text) return round((JSON.parse(text) as { heapUsed: number }).heapUsed / 1024 / 1024, 1);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error("the bot did not report its memory");
  };
  try {
    // Warm-up, then settle: the idle figure is the bot that has served a little, as in production.
    await burst(bot.url, 10, "CWARMDRAIN", fake.responseUrl("bench"), "wd");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const idle = await rssMb(bot.pid);
    const idleHeapMb = await keptHeapMb();
    const rounds = [];
    for (const n of [1, 2, 3]) {
      const channel = `CDRAIN${n}`;
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          postSlashCommand(bot.url, SECRET, {
            text: `purge drain${i % 10} /drain/${n}/${i}.html`,
            userId: `UD${n}x${i}`,
            channelId: channel,
            responseUrl: fake.responseUrl("bench"),
          }),
        ),
      );
      const failed = answers.find((a) => a.status !== 200);
      if (failed) throw new Error(`an ack answered ${failed.status}: ${failed.body}`);
      const afterAcks = await rssMb(bot.pid);
      const completed = () =>
        fake
          .callsTo("chat.postMessage")
          .filter(
            (c) => c.body.channel === channel && c.body.thread_ts && /Completed in/.test(String(c.body.text)),
          ).length;
      let peak = afterAcks.now;
      while (completed() < count) {
        if (performance.now() - started > 180_000)
          throw new Error(`only ${completed()} of ${count} completed in 3 minutes`);
        await new Promise((resolve) => setTimeout(resolve, 250));
        peak = Math.max(peak, (await rssMb(bot.pid)).now);
      }
      const drainSeconds = (performance.now() - started) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const drained = await rssMb(bot.pid);
      rounds.push({
        drainedKeptHeapMb: await keptHeapMb(),
        drainSeconds: round(drainSeconds, 1),
        afterAcksRssMb: round(afterAcks.now, 1),
        peakWhileDrainingRssMb: round(peak, 1),
        drainedRssMb: round(drained.now, 1),
      });
    }
    // A minute on, the history job has moved the finished purges out of the live state.
    await new Promise((resolve) => setTimeout(resolve, 65_000));
    const archivedKeptHeapMb = await keptHeapMb();
    const first = rounds[0]!;
    const last = rounds.at(-1)!;
    return {
      idleKeptHeapMb: idleHeapMb,
      archivedKeptHeapMb,
      purges: count,
      distributions: distributions.length,
      rounds,
      idleRssMb: round(idle.now, 1),
      /** Growth from the first round's end to the last's: what each further queue of 500 keeps. */
      ratioLastToFirstDrained: round(last.drainedRssMb / first.drainedRssMb, 2),
      ratioFirstDrainedToIdle: round(first.drainedRssMb / idle.now, 2),
    };
  } finally {
    await bot.stop();
  }
}
