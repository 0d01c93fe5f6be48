// npm run bench: the figures in README's "Benchmark" section, each a ratio against a baseline
// measured on the same machine in the same run. Results go to bench/out/results.json (git-ignored: a run never changes tracked files).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { workDir } from "../test/support/bot-process.js";
import { startFakeSlack } from "../test/support/fake-slack.js";
import { createTestDistribution, startMoto, testAwsEnv } from "../test/support/moto.js";
import { provideMoto } from "../test/support/moto-install.js";
import { startSerialProxy } from "../test/support/serial-proxy.js";
import { startStrictCloudFront } from "../test/support/strict-cloudfront.js";
import { measureBurst } from "./burst-measurements.js";
import { measureBurstBilling, measureCallsPerInvalidation } from "./engine-simulations.js";
import { measureHistory } from "./history-scenario.js";
import {
  measureAckLatency,
  measureCompiledStartup,
  measureStartupAndMemory,
  SECRET,
} from "./process-measurements.js";
import { measureReplicas } from "./replica-measurements.js";
import { measureDeployLag, measureInvalidationLag } from "./status-lag.js";

const started = performance.now();
const historyPurges = Number(process.env.BENCH_HISTORY_PURGES ?? 100_000);
const log = (line: string) => process.stdout.write(`${line}\n`);

await provideMoto();
const [fake, moto] = await Promise.all([startFakeSlack(), startMoto()]);
const strict = await startStrictCloudFront(moto.url, { invalidationCompletesAfterMs: 1000 });
const cloudfront = new CloudFrontClient({
  region: "us-east-1",
  endpoint: strict.url,
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
});
const env = {
  ...testAwsEnv(strict.url),
  HOME: await workDir(),
  AWS_EC2_METADATA_DISABLED: "true",
  SLACK_BOT_TOKEN: "xoxb-bench",
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_API_URL: fake.apiUrl,
  CDNBOT_LOG_LEVEL: "info",
};

try {
  const web = await createTestDistribution(cloudfront);
  const webConfig = `distributions:\n  web:\n    id: ${web.id}\n`;
  // BENCH_ONLY=replicas (names below, comma-separated) runs some of the figures, while working on them.
  const only = process.env.BENCH_ONLY?.split(",");
  const steps: [name: string, label: string, run: () => Promise<unknown>][] = [
    [
      "ackLatency",
      "ack latency at 50 concurrent senders",
      () => measureAckLatency(env, webConfig, fake.responseUrl("bench")),
    ],
    [
      "burst",
      "100 concurrent purges on one distribution: invalidations, told once, ack p99",
      () => measureBurst(env, cloudfront, fake, strict),
    ],
    ["awsCallsPerInvalidation", "AWS calls per completed invalidation", () => measureCallsPerInvalidation()],
    [
      "completionLag",
      "lag from CloudFront's Completed to the bot knowing it, invalidations of 1–15 min",
      () => measureInvalidationLag(),
    ],
    [
      "deployLag",
      "lag from Deployed to the bot knowing it, deploys of 5–20 min",
      async () => measureDeployLag(),
    ],
    ["pathsBilled", "paths billed for a burst, with and without coalescing", () => measureBurstBilling()],
    [
      "startupAndMemory",
      "startup and peak memory with 1,000 purges in flight",
      () => measureStartupAndMemory(env, cloudfront, (on) => strict.holdInvalidations(on)),
    ],
    [
      "history",
      `a year of history (${historyPurges.toLocaleString("en-US")} finished purges) against an empty install`,
      () => measureHistory({ ...env, CDNBOT_LOG_LEVEL: "info" }, cloudfront, fake, historyPurges),
    ],
    [
      "compiled",
      "the compiled build: start-up and idle memory against a bare Bolt app",
      () => measureCompiledStartup(env, webConfig),
    ],
    [
      "replicas",
      "two replicas on one DynamoDB table against one: AWS calls, takeover",
      async () => {
        const distributions = [{ alias: "web", id: web.id }];
        for (const alias of ["shop", "docs", "api"])
          distributions.push({
            alias,
            id: (await createTestDistribution(cloudfront, { comment: alias })).id,
          });
        // DynamoDB one call at a time, so its conditional writes are atomic as the real one's are.
        const dynamodb = await startSerialProxy(moto.url);
        try {
          return await measureReplicas({
            env: { ...env, AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url },
            fake,
            strict,
            distributions,
          });
        } finally {
          await dynamodb.close();
        }
      },
    ],
  ];
  const chosen = steps.filter(([name]) => !only || only.includes(name));
  const measured: Record<string, unknown> = {};
  for (const [i, [name, label, run]] of chosen.entries()) {
    log(`${i + 1}/${chosen.length} ${label} …`);
    measured[name] = await run();
  }

  const results = {
    measuredAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: process.platform,
      cpus: (await import("node:os")).cpus().length,
    },
    ...measured,
    durationSeconds: Math.round((performance.now() - started) / 1000),
  };
  const out = join(import.meta.dirname, "out");
  await mkdir(out, { recursive: true });
  await writeFile(
    join(out, only ? `results-${only.join("-")}.json` : "results.json"),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  log(JSON.stringify(results, null, 2));
  log(summary(measured as Measured));
} finally {
  cloudfront.destroy();
  await Promise.all([fake.close(), strict.close()]);
  await moto.stop();
}

type Measured = {
  ackLatency?: Awaited<ReturnType<typeof measureAckLatency>>;
  burst?: Awaited<ReturnType<typeof measureBurst>>;
  awsCallsPerInvalidation?: Awaited<ReturnType<typeof measureCallsPerInvalidation>>;
  pathsBilled?: Awaited<ReturnType<typeof measureBurstBilling>>;
  startupAndMemory?: Awaited<ReturnType<typeof measureStartupAndMemory>>;
  history?: Awaited<ReturnType<typeof measureHistory>>;
  compiled?: Awaited<ReturnType<typeof measureCompiledStartup>>;
  replicas?: Awaited<ReturnType<typeof measureReplicas>>;
  completionLag?: Awaited<ReturnType<typeof measureInvalidationLag>>;
  deployLag?: ReturnType<typeof measureDeployLag>;
};

/** The ratios in a few lines, for whichever figures were measured. */
function summary(measured: Measured): string {
  const {
    ackLatency,
    awsCallsPerInvalidation: awsCalls,
    pathsBilled: billing,
    startupAndMemory: startup,
  } = measured;
  const { compiled, history, replicas } = measured;
  const lines: string[] = [""];
  if (ackLatency)
    lines.push(`ack p50 ${ackLatency.ratioP50}× and p99 ${ackLatency.ratioP99}× a bare Bolt app.`);
  if (measured.burst) {
    const b = measured.burst;
    lines.push(
      `100 concurrent purges: ${b.invalidations} invalidation(s), ${b.ratioToFloor}× the floor; ${b.toldExactlyOnce} of ${b.purges} told exactly once; ack p99 ${b.ratioAckP99}× a bare Bolt app's.`,
    );
  }
  if (awsCalls) lines.push(`AWS calls per invalidation ${awsCalls.ratio}× the naive way.`);
  const { completionLag: lag, deployLag } = measured;
  if (lag)
    lines.push(
      `Completed known after ${lag.cdnbot.medianSeconds} s median, ${lag.cdnbot.maxSeconds} s max (AWS CLI waiter ${lag.awsCliWaiter20s.medianSeconds} / ${lag.awsCliWaiter20s.maxSeconds} s, hubot-cloudfront ${lag.hubotCloudfront60s.medianSeconds} / ${lag.hubotCloudfront60s.maxSeconds} s); status calls ${lag.callsRatioToDense}× asking every 10 s throughout, never two within ${lag.closestStatusCallsOfOneDistributionSeconds} s.`,
    );
  if (deployLag)
    lines.push(
      `Deployed known after ${deployLag.cdnbot.medianSeconds} s median, ${deployLag.cdnbot.maxSeconds} s max (waiter ${deployLag.awsCliWaiter20s.medianSeconds} / ${deployLag.awsCliWaiter20s.maxSeconds} s); status calls ${deployLag.callsRatioToDense}× dense.`,
    );
  if (billing) lines.push(`paths billed ${billing.ratio}× without coalescing.`);
  if (startup)
    lines.push(
      `with 1,000 in flight: startup ${startup.ratioStartup}×, peak RSS ${startup.ratioPeakRss}× an empty store.`,
    );
  if (compiled)
    lines.push(
      `compiled build: start-up ${compiled.ratioStartup}× a bare Bolt app; idle RSS ${compiled.cdnbot.idleRssMb} MB (bare Bolt ${compiled.bareBolt.idleRssMb} MB).`,
    );
  if (history) {
    const r = history.ratios;
    lines.push(
      `a year of history against an empty install: startup ${r.startup}×, ack p50 ${r.ackP50}× p99 ${r.ackP99}×, purge to completion ${r.purgeToCompletion}×, bytes per update ${r.bytesPerStateUpdate}×, peak RSS ${r.peakRss}×.`,
    );
  }
  if (replicas)
    lines.push(
      `two replicas: ${replicas.ratio}× one replica's AWS calls per invalidation; a dead replica's distributions taken over in ${replicas.takeover.seconds} s (${replicas.takeover.ratioToLeasePeriod}× the lease period).`,
    );
  return lines.join("\n");
}
