// npm run bench: the figures in docs/benchmark.md, each a ratio against a baseline
// measured on the same machine in the same run. Results go to bench/out/results.json (git-ignored: a run never changes tracked files).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { workDir } from "../test/support/bot-process.js";
import { startFakeSlack } from "../test/support/fake-slack.js";
import { createTestDistribution, startMoto, testAwsEnv } from "../test/support/moto.js";
import { provideMoto } from "../test/support/moto-install.js";
import { startSerialProxy } from "../test/support/serial-proxy.js";
import { startStrictCloudFront } from "../test/support/strict-cloudfront.js";
import { measureAccessLogReading } from "./access-log-reading.js";
import { benchTable, type Measured } from "./bench-table.js";
import { measureBurst, measureDrainMemory } from "./burst-measurements.js";
import { measureBurstBilling, measureCallsPerInvalidation } from "./engine-simulations.js";
import { measureHistory } from "./history-scenario.js";
import { measurePacing } from "./pacing.js";
import {
  measureAckLatency,
  measureCompiledStartup,
  measureStartupAndMemory,
  SECRET,
} from "./process-measurements.js";
import { measureReplicas } from "./replica-measurements.js";
import { measureStagedPullBack } from "./staged-pullback.js";
import { measureDeployLag, measureInvalidationLag } from "./status-lag.js";

/** Where the table of figures is kept, between `<!-- bench-table -->` markers. */
const BENCHMARK_DOC = "docs/benchmark.md";
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
      "ackLatencyDynamoDb",
      "ack latency at 50 concurrent senders, state in DynamoDB (moto's)",
      // Straight to moto, whose threads answer calls side by side as DynamoDB does (the tests'
      // one-call-at-a-time layer, there for atomic conditions, would queue every ack behind the others).
      () =>
        measureAckLatency(
          { ...env, AWS_ENDPOINT_URL_DYNAMODB: moto.url },
          `${webConfig}store:\n  dynamodb:\n    table: cdnbot-bench-acks\n`,
          fake.responseUrl("bench"),
        ),
    ],
    [
      "burst",
      "100 concurrent purges on one distribution: invalidations, told once, ack p99",
      () => measureBurst(env, cloudfront, fake, strict),
    ],
    [
      "drainMemory",
      "memory while 500 purges over 10 distributions drain",
      () => measureDrainMemory(env, cloudfront, fake),
    ],
    ["awsCallsPerInvalidation", "AWS calls per completed invalidation", () => measureCallsPerInvalidation()],
    [
      "completionLag",
      "lag from CloudFront's Completed to the bot knowing it, invalidations of 1–15 min",
      () => measureInvalidationLag(),
    ],
    [
      "pacing",
      "CreateInvalidation under the account's limit: 20 distributions at once, 500 purges over 10",
      () => measurePacing(),
    ],
    [
      "deployLag",
      "lag from Deployed to the bot knowing it, deploys of 5–20 min",
      async () => measureDeployLag(),
    ],
    [
      "stagedPullBack",
      "a staged change breaching: periods until traffic is back on the primary",
      () => measureStagedPullBack(),
    ],
    [
      "accessLogReading",
      "summing up a gigabyte of gzipped access logs: lines per second and peak memory",
      () => measureAccessLogReading(),
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
  // Some figures re-measured (BENCH_ONLY) update their rows of the last full run's table, which keeps
  // the others, and the note says which were measured when.
  const full = only ? await lastFullRun(out) : undefined;
  const shown = full ? { ...full, ...measured } : measured;
  const when = `on ${results.measuredAt.slice(0, 10)}, Node ${process.version}, ${results.machine.cpus} cores, in ${results.durationSeconds} s`;
  const table = `${benchTable(shown as Measured)}\n\nMeasured by \`npm run bench\`${
    full
      ? ` on ${String(full.measuredAt).slice(0, 10)}, Node ${(full.machine as { node: string }).node}; ${only!.join(", ")} again (BENCH_ONLY) ${when}`
      : `${only ? ` (BENCH_ONLY=${only.join(",")})` : ""} ${when}`
  }.\n`;
  await writeFile(join(out, "table.md"), table);
  log(`\n${table}`);
  // --write-docs puts the table into the benchmark document, between its markers.
  if (process.argv.includes("--write-docs")) {
    const doc = join(import.meta.dirname, "..", BENCHMARK_DOC);
    const text = await readFile(doc, "utf8");
    const at = /<!-- bench-table -->[\s\S]*<!-- \/bench-table -->/;
    if (!at.test(text)) throw new Error(`${BENCHMARK_DOC} has no <!-- bench-table --> markers`);
    await writeFile(doc, text.replace(at, `<!-- bench-table -->\n${table}<!-- /bench-table -->`));
    log(`wrote the table into ${BENCHMARK_DOC}`);
  }
} finally {
  cloudfront.destroy();
  await Promise.all([fake.close(), strict.close()]);
  await moto.stop();
}

/** The last full run's results (bench/out/results.json), if there is one. */
async function lastFullRun(out: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(out, "results.json"), "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
