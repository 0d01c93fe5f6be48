import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { cp, mkdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import type { AuditEntry, PurgeBatch, PurgeOperation } from "../src/store/records.js";
import { type BotProcess, startBot, workDir } from "../test/support/bot-process.js";
import type { FakeSlack } from "../test/support/fake-slack.js";
import { createTestDistribution } from "../test/support/moto.js";
import { postSlashCommand } from "../test/support/slack-signer.js";
import { round } from "./engine-simulations.js";
import { ackLatencies, percentile, SECRET } from "./process-measurements.js";

const DAY = 86_400_000;

/**
 * Writes the state file a busy year leaves with release 0.1 (state version 1): `purges` finished
 * purges spread over the last 365 days, each with its batch and four audit entries. Streamed, so the
 * bench itself never holds the ~190 MB document.
 */
async function writeYearOfHistory(file: string, distributionId: string, purges: number): Promise<number> {
  await mkdir(dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, "drain");
  };
  const now = Date.now();
  const at = (i: number) => now - 365 * DAY + Math.floor((i / purges) * 365 * DAY) - 5 * 60_000;
  const list = async (name: string, first: boolean, item: (i: number) => string[]) => {
    await write(`${first ? "" : ","}"${name}":[`);
    for (let i = 0; i < purges; i++) {
      const parts = item(i);
      await write(`${i === 0 ? "" : ","}${parts.join(",")}`);
    }
    await write("]");
  };
  await write('{"version":1,');
  await list("operations", true, (i) => {
    const op: PurgeOperation = {
      version: 0,
      id: `hist-op-${i}`,
      kind: "purge",
      alias: "web",
      distributionId,
      paths: [`/history/${i}/index.html`],
      batchId: `hist-batch-${i}`,
      requestedBy: { userId: `U${i % 40}`, teamId: "T0001" },
      channelId: "CHIST",
      messageTs: `1700000000.${String(i).padStart(6, "0")}`,
      state: "completed",
      invalidationId: `IHIST${i}`,
      requestedAt: at(i),
      createdAt: at(i) + 3000,
      finishedAt: at(i) + 90_000,
      notes: [],
      told: [],
      announced: { created: true, final: true },
    };
    return [JSON.stringify(op)];
  });
  await list("batches", false, (i) => {
    const batch: PurgeBatch = {
      version: 0,
      id: `hist-batch-${i}`,
      distributionId,
      operationIds: [`hist-op-${i}`],
      paths: [`/history/${i}/index.html`],
      callerReference: `cdnbot-hist-batch-${i}`,
      state: "completed",
      openedAt: at(i),
      sendAt: at(i) + 2000,
      attempts: 1,
      invalidationId: `IHIST${i}`,
      createdAt: at(i) + 3000,
      finishedAt: at(i) + 90_000,
    };
    return [JSON.stringify(batch)];
  });
  await list("audit", false, (i) =>
    ["purge.requested", "aws.CreateInvalidation", "purge.created", "purge.completed"].map((type, k) => {
      const entry: AuditEntry = {
        seq: i * 4 + k + 1,
        at: at(i) + k * 30_000,
        type,
        actor: { userId: `U${i % 40}`, teamId: "T0001" },
        channelId: "CHIST",
        alias: "web",
        distributionId,
        operationId: `hist-op-${i}`,
        summary: `Purge of 1 path (${type})`,
        outcome: "ok",
      };
      return JSON.stringify(entry);
    }),
  );
  await write(`,"pathsBilled":{},"approvals":[],"changes":[],"watches":[],"alertStates":[]}`);
  out.end();
  await once(out, "finish");
  return (await stat(file)).size;
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Seconds from `/cdn purge` to the thread's "Completed" reply, for one purge on a quiet bot. */
async function purgeToCompletion(bot: BotProcess, fake: FakeSlack, channelId: string): Promise<number> {
  const started = performance.now();
  await postSlashCommand(bot.url, SECRET, {
    text: "purge web /one.html",
    channelId,
    responseUrl: fake.responseUrl(`bench-${channelId}`),
  });
  const parent = await fake.waitForCall(
    "chat.postMessage",
    (b) => b.channel === channelId && !b.thread_ts,
    30_000,
  );
  const ts = parent.response?.ts;
  await fake.waitForCall(
    "chat.postMessage",
    (b) => b.thread_ts === ts && /Completed in/.test(String(b.text)),
    60_000,
  );
  return (performance.now() - started) / 1000;
}

type Figures = {
  startupMs: number;
  ackP50Ms: number;
  ackP99Ms: number;
  purgeToCompletionS: number;
  bytesPerStateUpdate: number;
  peakRssMb: number;
};

async function measureBot(
  label: string,
  env: Record<string, string>,
  config: string,
  dataFile: string,
  fake: FakeSlack,
): Promise<Figures> {
  const started = performance.now();
  const bot = await startBot({ env, config, dataFile, startTimeoutMs: 120_000 });
  const startupMs = performance.now() - started;
  try {
    const completions: number[] = [];
    for (let i = 0; i < 3; i++) completions.push(await purgeToCompletion(bot, fake, `C${label}${i}`));
    // Every update rewrites the state file whole, so its size is what one update writes: measured
    // here, with the same three finished purges live in both bots (a burst leaves a backlog of
    // thread replies paced at Slack's rate, which would make the moment arbitrary).
    const bytesPerStateUpdate = (await stat(dataFile)).size;
    const responseUrl = fake.responseUrl(`bench-${label}`);
    await ackLatencies(bot.url, 30, 10, responseUrl, `CW${label}`);
    const acks = await ackLatencies(bot.url, 400, 50, responseUrl, `CA${label}`);
    return {
      startupMs: round(startupMs, 0),
      ackP50Ms: round(percentile(acks, 50), 2),
      ackP99Ms: round(percentile(acks, 99), 2),
      purgeToCompletionS: round(completions.sort((a, b) => a - b)[1]!, 2),
      bytesPerStateUpdate,
      peakRssMb: round(await peakRssMb(bot.pid), 1),
    };
  } finally {
    await bot.stop();
  }
}

function median(figures: Figures[]): Figures {
  const keys = Object.keys(figures[0]!) as (keyof Figures)[];
  return Object.fromEntries(
    keys.map((k) => [k, figures.map((f) => f[k]).sort((a, b) => a - b)[Math.floor(figures.length / 2)]]),
  ) as Figures;
}

/**
 * The bot on a year of history (100,000 finished purges, migrated from a version-1 file, then
 * restarted) against an empty install, side by side in one run.
 */
export async function measureHistory(
  env: Record<string, string>,
  cloudfront: CloudFrontClient,
  fake: FakeSlack,
  purges = 100_000,
) {
  const web = await createTestDistribution(cloudfront);
  const config = `distributions:\n  web:\n    id: ${web.id}\n`;
  const dir = await workDir();
  const historyFile = join(dir, "history", "cdnbot.json");
  const v1Bytes = await writeYearOfHistory(historyFile, web.id, purges);

  const migrationStarted = performance.now();
  const migrating = await startBot({ env, config, dataFile: historyFile, startTimeoutMs: 600_000 });
  const migrationS = (performance.now() - migrationStarted) / 1000;
  await migrating.stop();

  // Alternated, three rounds, the median of each figure: neither bot always runs on a machine the
  // other has just warmed, and one noisy round (two cores shared with moto and the fakes) decides nothing.
  // Each run starts from the same state: a fresh install, or a copy of the migrated history.
  const runs = { empty: [] as Figures[], history: [] as Figures[] };
  for (const round of [1, 2, 3]) {
    runs.empty.push(
      await measureBot(`E${round}`, env, config, join(dir, `empty${round}`, "cdnbot.json"), fake),
    );
    // The 180 MB version-1 backup is left out: copying it would leave the disk busy writing it back
    // while the bot starts, which a real install never has.
    await cp(dirname(historyFile), join(dir, `history${round}`), {
      recursive: true,
      filter: (source) => !source.endsWith(".v1.bak"),
    });
    runs.history.push(
      await measureBot(`H${round}`, env, config, join(dir, `history${round}`, "cdnbot.json"), fake),
    );
  }
  const empty = median(runs.empty);
  const history = median(runs.history);
  const ratio = (key: keyof Figures) => round(history[key] / empty[key], 2);
  return {
    finishedPurges: purges,
    version1FileMb: round(v1Bytes / 1024 / 1024, 1),
    migrationS: round(migrationS, 1),
    emptyInstall: empty,
    yearOfHistory: history,
    rounds: runs,
    ratios: {
      startup: ratio("startupMs"),
      ackP50: ratio("ackP50Ms"),
      ackP99: ratio("ackP99Ms"),
      purgeToCompletion: ratio("purgeToCompletionS"),
      bytesPerStateUpdate: ratio("bytesPerStateUpdate"),
      peakRss: ratio("peakRssMb"),
    },
  };
}
