import { execFileSync, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CloudFrontClient, CreateInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { emptyStoreData, type PurgeBatch, type PurgeOperation } from "../src/store/records.js";
import { freePort, startBot, workDir } from "../test/support/bot-process.js";
import { createTestDistribution } from "../test/support/moto.js";
import { postSlashCommand } from "../test/support/slack-signer.js";
import { round } from "./engine-simulations.js";

export const SECRET = "bench-signing-secret";

export function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Sends `total` signed `/cdn purge` commands with `concurrency` senders; returns each ack's latency. */
export async function ackLatencies(
  url: string,
  total: number,
  concurrency: number,
  responseUrl: string,
  channelId = "CBENCH",
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, sender) => {
      while (next < total) {
        const i = next++;
        const res = await postSlashCommand(url, SECRET, {
          text: `purge web /bench/${i}.html`,
          userId: `U${sender}`,
          channelId,
          responseUrl,
        });
        if (res.status !== 200) throw new Error(`ack ${i} answered ${res.status}: ${res.body}`);
        latencies.push(res.elapsedMs);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

export async function startBareBolt(env: Record<string, string>, compiled = false) {
  const port = await freePort();
  const entry = compiled ? ["dist/bench/bare-bolt-app.js"] : ["--import", "tsx", "bench/bare-bolt-app.ts"];
  const child = spawn(process.execPath, entry, {
    cwd: join(import.meta.dirname, ".."),
    env: { PATH: process.env.PATH ?? "", ...env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  // Timed to the line that says it listens, as the bot is (test/support/bot-process.ts), not polled.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bare Bolt app did not start:\n${output}`)), 30_000);
    child.once("exit", () => reject(new Error(`bare Bolt app exited:\n${output}`)));
    child.stderr?.on("data", (c: Buffer) => {
      output += c.toString();
      if (output.includes("listening")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop: () => child.kill("SIGTERM") };
}

/** Measure 1: ack latency of the bot against a bare Bolt app, same machine, same run. */
export async function measureAckLatency(env: Record<string, string>, config: string, responseUrl: string) {
  // A thousand samples: p99 is then the tenth worst, not the fourth, so one GC pause moves it less.
  const total = 1000;
  const concurrency = 50;
  const bot = await startBot({ env, config });
  const bare = await startBareBolt(env);
  try {
    // Warm both up (JIT, connection pools) before measuring.
    await ackLatencies(bot.url, 50, 10, responseUrl);
    await ackLatencies(bare.url, 50, 10, responseUrl);
    const bareLatencies = await ackLatencies(bare.url, total, concurrency, responseUrl);
    const botLatencies = await ackLatencies(bot.url, total, concurrency, responseUrl);
    const summary = (l: number[]) => ({
      p50Ms: round(percentile(l, 50), 2),
      p99Ms: round(percentile(l, 99), 2),
    });
    const cdnbot = summary(botLatencies);
    const baseline = summary(bareLatencies);
    return {
      requests: total,
      concurrentSenders: concurrency,
      cdnbot,
      bareBolt: baseline,
      ratioP50: round(cdnbot.p50Ms / baseline.p50Ms, 2),
      ratioP99: round(cdnbot.p99Ms / baseline.p99Ms, 2),
    };
  } finally {
    bare.stop();
    await bot.stop();
  }
}

async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** A state file holding 1,000 purges in flight: 50 real invalidations in moto, 20 purges each. */
async function stateWithInFlight(cloudfront: CloudFrontClient, distributionIds: string[], file: string) {
  const data = emptyStoreData();
  const now = Date.now();
  for (let b = 0; b < 50; b++) {
    const distributionId = distributionIds[b % distributionIds.length]!;
    const paths = Array.from({ length: 20 }, (_, i) => `/inflight/${b}/${i}.html`);
    const callerReference = `cdnbot-bench-${b}`;
    const out = await cloudfront.send(
      new CreateInvalidationCommand({
        DistributionId: distributionId,
        InvalidationBatch: {
          CallerReference: callerReference,
          Paths: { Quantity: paths.length, Items: paths },
        },
      }),
    );
    const invalidationId = out.Invalidation!.Id!;
    const opIds = paths.map((_, i) => `bench-${b}-${i}`);
    const batch: PurgeBatch = {
      version: 0,
      id: `bench-${b}`,
      distributionId,
      operationIds: opIds,
      paths,
      callerReference,
      state: "in-progress",
      openedAt: now,
      sendAt: now,
      attempts: 1,
      invalidationId,
      createdAt: now,
      nextPollAt: now,
    };
    data.batches.push(batch);
    opIds.forEach((id, i) => {
      const op: PurgeOperation = {
        version: 0,
        id,
        kind: "purge",
        alias: "web",
        distributionId,
        paths: [paths[i]!],
        batchId: batch.id,
        requestedBy: { userId: `U${i}`, teamId: "T0001" },
        channelId: "CBENCH",
        messageTs: `1700000000.${String(b * 100 + i).padStart(6, "0")}`,
        state: "in-progress",
        invalidationId,
        requestedAt: now,
        createdAt: now,
        notes: [],
        told: [],
        announced: { created: true, final: false },
      };
      data.operations.push(op);
    });
  }
  await writeFile(file, JSON.stringify(data));
}

/** Measure 4: startup time and peak RSS with 1,000 purges in flight, against an empty store. */
export async function measureStartupAndMemory(
  env: Record<string, string>,
  cloudfront: CloudFrontClient,
  hold: (on: boolean) => void,
) {
  const distributions = await Promise.all(
    Array.from({ length: 5 }, () => createTestDistribution(cloudfront)),
  );
  const config = `distributions:\n${distributions.map((d, i) => `  d${i}:\n    id: ${d.id}\n`).join("")}`;
  const dir = await workDir();
  const loaded = join(dir, "loaded.json");
  hold(true);
  await stateWithInFlight(
    cloudfront,
    distributions.map((d) => d.id),
    loaded,
  );
  const run = async (dataFile: string | undefined) => {
    const started = performance.now();
    const bot = await startBot({ env, config, ...(dataFile ? { dataFile } : {}) });
    const startupMs = performance.now() - started;
    // Let it tick a few times: load the state, poll every distribution, settle.
    await new Promise((r) => setTimeout(r, 3000));
    const rssMb = await peakRss(bot.pid);
    await bot.stop();
    return { startupMs: round(startupMs, 0), peakRssMb: round(rssMb, 1) };
  };
  const empty = await run(undefined);
  const withInFlight = await run(loaded);
  hold(false);
  return {
    inFlightOperations: 1000,
    invalidations: 50,
    emptyStore: empty,
    withInFlight,
    ratioStartup: round(withInFlight.startupMs / empty.startupMs, 2),
    ratioPeakRss: round(withInFlight.peakRssMb / empty.peakRssMb, 2),
  };
}

export async function rssMb(pid: number): Promise<{ now: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { now: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/**
 * Measure 5: the compiled build as production runs it (`npm start`: node dist/src/start.js, with the compile cache on), start-up
 * to listening and memory at idle, against a bare Bolt app compiled and started the same way.
 * Medians of three starts each, alternated.
 */
export async function measureCompiledStartup(env: Record<string, string>, config: string) {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
    cwd: join(import.meta.dirname, ".."),
  });
  const bot: { startupMs: number; idleRssMb: number; peakRssMb: number }[] = [];
  const bare: { startupMs: number; idleRssMb: number; peakRssMb: number }[] = [];
  const settle = () => new Promise((r) => setTimeout(r, 3000));
  for (let i = 0; i < 3; i++) {
    let started = performance.now();
    const b = await startBot({ env, config, compiled: true });
    const botMs = performance.now() - started;
    await settle();
    const botRss = await rssMb(b.pid);
    await b.stop();
    bot.push({ startupMs: botMs, idleRssMb: botRss.now, peakRssMb: botRss.peak });

    started = performance.now();
    const a = await startBareBolt(env, true);
    const bareMs = performance.now() - started;
    await settle();
    const bareRss = await rssMb(a.pid);
    a.stop();
    bare.push({ startupMs: bareMs, idleRssMb: bareRss.now, peakRssMb: bareRss.peak });
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const summary = (runs: typeof bot) => ({
    startupMs: round(median(runs.map((r) => r.startupMs)), 0),
    idleRssMb: round(median(runs.map((r) => r.idleRssMb)), 1),
    peakRssMb: round(median(runs.map((r) => r.peakRssMb)), 1),
  });
  const cdnbot = summary(bot);
  const bareBolt = summary(bare);
  return { cdnbot, bareBolt, ratioStartup: round(cdnbot.startupMs / bareBolt.startupMs, 2) };
}
