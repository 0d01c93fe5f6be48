import type { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { startBot } from "../test/support/bot-process.js";
import type { FakeSlack } from "../test/support/fake-slack.js";
import { createTestDistribution } from "../test/support/moto.js";
import { postSlashCommand } from "../test/support/slack-signer.js";
import type { StrictCloudFront } from "../test/support/strict-cloudfront.js";
import { round } from "./engine-simulations.js";
import { percentile, SECRET, startBareBolt } from "./process-measurements.js";

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
