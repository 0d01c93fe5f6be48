// npm run bench: the figures in README's "Benchmark" section, each a ratio against a baseline
// measured on the same machine in the same run. Results go to bench/out/results.json (git-ignored: a run never changes tracked files).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { workDir } from "../test/support/bot-process.js";
import { startFakeSlack } from "../test/support/fake-slack.js";
import { createTestDistribution, startMoto, testAwsEnv } from "../test/support/moto.js";
import { provideMoto } from "../test/support/moto-install.js";
import { startStrictCloudFront } from "../test/support/strict-cloudfront.js";
import { measureBurstBilling, measureCallsPerInvalidation } from "./engine-simulations.js";
import { measureHistory } from "./history-scenario.js";
import {
  measureAckLatency,
  measureCompiledStartup,
  measureStartupAndMemory,
  SECRET,
} from "./process-measurements.js";

const started = performance.now();
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
  log("1/6 ack latency at 50 concurrent senders …");
  const ackLatency = await measureAckLatency(
    env,
    `distributions:\n  web:\n    id: ${web.id}\n`,
    fake.responseUrl("bench"),
  );
  log("2/6 AWS calls per completed invalidation …");
  const awsCalls = await measureCallsPerInvalidation();
  log("3/6 paths billed for a burst, with and without coalescing …");
  const billing = await measureBurstBilling();
  log("4/6 startup and peak memory with 1,000 purges in flight …");
  const startup = await measureStartupAndMemory(env, cloudfront, (on) => strict.holdInvalidations(on));
  const purges = Number(process.env.BENCH_HISTORY_PURGES ?? 100_000);
  log(`5/6 a year of history (${purges.toLocaleString("en-US")} finished purges) against an empty install …`);
  const history = await measureHistory({ ...env, CDNBOT_LOG_LEVEL: "info" }, cloudfront, fake, purges);
  log("6/6 the compiled build: start-up and idle memory against a bare Bolt app …");
  const compiled = await measureCompiledStartup(env, `distributions:\n  web:\n    id: ${web.id}\n`);

  const results = {
    measuredAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: process.platform,
      cpus: (await import("node:os")).cpus().length,
    },
    ackLatency,
    awsCallsPerInvalidation: awsCalls,
    pathsBilled: billing,
    startupAndMemory: startup,
    history,
    compiled,
    durationSeconds: Math.round((performance.now() - started) / 1000),
  };
  const out = join(import.meta.dirname, "out");
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  log(JSON.stringify(results, null, 2));
  log(
    `\nack p50 ${ackLatency.ratioP50}× and p99 ${ackLatency.ratioP99}× a bare Bolt app; AWS calls per invalidation ${awsCalls.ratio}× the naive way;`,
  );
  log(
    `paths billed ${billing.ratio}× without coalescing; with 1,000 in flight: startup ${startup.ratioStartup}×, peak RSS ${startup.ratioPeakRss}× an empty store.`,
  );
  log(
    `compiled build: start-up ${compiled.ratioStartup}× a bare Bolt app; idle RSS ${compiled.cdnbot.idleRssMb} MB (bare Bolt ${compiled.bareBolt.idleRssMb} MB).`,
  );
  const r = history.ratios;
  log(
    `a year of history against an empty install: startup ${r.startup}×, ack p50 ${r.ackP50}× p99 ${r.ackP99}×, purge to completion ${r.purgeToCompletion}×, bytes per update ${r.bytesPerStateUpdate}×, peak RSS ${r.peakRss}×.`,
  );
} finally {
  cloudfront.destroy();
  await Promise.all([fake.close(), strict.close()]);
  await moto.stop();
}
