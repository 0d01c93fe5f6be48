import type { InvalidationGateway } from "../src/aws/cloudfront-gateway.js";
import { silentLogger } from "../src/logger.js";
import { PurgeEngine } from "../src/purge/purge-engine.js";
import { lowdbRecordStore } from "../src/store/lowdb-record-store.js";
import { emptyStoreData, type PurgeOperation } from "../src/store/records.js";
import { StateStore } from "../src/store/state-store.js";
import { FinishTimes, nextStatusAt, STATUS_EVERY_MS } from "../src/tracking/status-pacing.js";
import { benchCloudFront } from "./bench-cloudfront.js";
import { round, seeded } from "./engine-simulations.js";

/** The scheduler's own tick in the bot (CDNBOT_POLL_MS's default). */
const TICK_MS = 20_000;

/** Forgets every finish: the engine asks at the dense pace throughout, for comparison. */
class NothingLearnt extends FinishTimes {
  override fastest(): undefined {
    return undefined;
  }
}

type Job = { distributionId: string; durationMs: number; submitAt: number };

/**
 * Work for ten distributions, each with its own typical duration drawn from `minMs`–`maxMs`, each
 * invalidation within ±10 % of it; a distribution's purges one after another, a few minutes apart.
 */
function workload(seed: number, minMs: number, maxMs: number, perDistribution: number): Job[] {
  const random = seeded(seed);
  const jobs: Job[] = [];
  for (let d = 0; d < 10; d++) {
    const typical = minMs + random() * (maxMs - minMs);
    let at = Math.floor(random() * 60_000);
    for (let i = 0; i < perDistribution; i++) {
      const durationMs = Math.round(typical * (0.9 + 0.2 * random()));
      jobs.push({ distributionId: `EDIST${String(d).padStart(7, "0")}`, durationMs, submitAt: at });
      at += durationMs + 60_000 + Math.floor(random() * 240_000);
    }
  }
  return jobs.sort((a, b) => a.submitAt - b.submitAt);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

function summarize(lagsMs: number[]) {
  const sorted = [...lagsMs].sort((a, b) => a - b);
  return {
    medianSeconds: round(percentile(sorted, 0.5) / 1000, 1),
    meanSeconds: round(sorted.reduce((a, b) => a + b, 0) / sorted.length / 1000, 1),
    maxSeconds: round(sorted.at(-1)! / 1000, 1),
  };
}

/**
 * The real purge engine in simulated time, run as the bot runs it: the scheduler's tick every 20 s
 * and the poll job woken when the engine asks (`wakePollAt`). Returns each purge's lag from
 * CloudFront's Completed to the engine knowing it, and every status call's time per distribution.
 */
async function runEngine(jobs: Job[], finishTimes: FinishTimes) {
  let now = 0;
  const durations = new Map<number, number>();
  const model = benchCloudFront(
    () => now,
    (n) => durations.get(n)!,
    jobs.map((j) => j.distributionId),
  );
  const asked = new Map<string, number[]>();
  const countingCloudFront: InvalidationGateway = {
    ...model.cloudfront,
    listInvalidations: async (distributionId, maxItems) => {
      asked.set(distributionId, [...(asked.get(distributionId) ?? []), now]);
      return model.cloudfront.listInvalidations(distributionId, maxItems);
    },
  };
  const store = StateStore.inMemory(emptyStoreData());
  const wakes: number[] = [];
  const engine = new PurgeEngine({
    records: lowdbRecordStore(store),
    cloudfront: countingCloudFront,
    announcer: {
      postParent: async (op) => `ts-${op.id}`,
      refreshParent: async () => {},
      replyCreated: async () => {},
      replyFinal: async () => {},
      replyNote: async () => {},
      tellRequester: async () => {},
      findPosted: async () => undefined,
    },
    clock: () => now,
    logger: silentLogger,
    pollMs: TICK_MS,
    statusEveryMs: STATUS_EVERY_MS,
    finishTimes,
    coalesceWindowMs: 0,
    wakeAt: () => {},
    wakePollAt: (at) => wakes.push(at),
    random: seeded(7),
  });
  const queue = [...jobs];
  let created = 0;
  let nextTick = 0;
  for (let n = 0; queue.length > 0 || store.data.operations.some((o) => o.state !== "completed"); ) {
    // The next event: a submission, the scheduler's tick, or a wake the engine asked for.
    const pending = wakes.filter((w) => w > now);
    now = Math.min(queue[0]?.submitAt ?? Infinity, nextTick, ...pending);
    if (now >= nextTick) nextTick += TICK_MS;
    while (queue.length > 0 && queue[0]!.submitAt <= now) {
      const job = queue.shift()!;
      durations.set(++created, job.durationMs);
      const op = purgeOf(`op${++n}`, job.distributionId, now);
      await store.update((d) => {
        d.operations.push(op);
      });
      await engine.enqueue(op);
    }
    await engine.pollInFlight();
  }
  const doneAt = model.doneAt();
  const lags = store.data.operations.map((o) => o.finishedAt! - doneAt.get(o.invalidationId!)!);
  return { lags, asked };
}

/** The closest two status calls of one distribution ever came, in seconds. */
function closestGapSeconds(asked: Map<string, number[]>): number {
  let closest = Infinity;
  for (const times of asked.values())
    for (let i = 1; i < times.length; i++) closest = Math.min(closest, times[i]! - times[i - 1]!);
  return round(closest / 1000, 1);
}

const totalCalls = (asked: Map<string, number[]>) =>
  [...asked.values()].reduce((sum, times) => sum + times.length, 0);

/** A fixed schedule of every `everyMs` from the start: the lag of each duration. */
const fixedLag = (durationMs: number, everyMs: number) =>
  Math.ceil(durationMs / everyMs) * everyMs - durationMs;

/**
 * Invalidations of 1–15 minutes: how late the engine knows each is Completed, against the AWS CLI
 * waiter (every 20 s) and hubot-cloudfront (every 60 s) on the same durations, and how many status
 * calls it makes with what it learnt of each distribution against asking densely throughout.
 */
export async function measureInvalidationLag() {
  const jobs = workload(25, 60_000, 15 * 60_000, 12);
  const learning = await runEngine(jobs, new FinishTimes());
  const dense = await runEngine(jobs, new NothingLearnt());
  const lagOf = (everyMs: number) => jobs.map((j) => fixedLag(j.durationMs, everyMs));
  return {
    invalidations: jobs.length,
    distributions: 10,
    cdnbot: summarize(learning.lags),
    awsCliWaiter20s: summarize(lagOf(20_000)),
    hubotCloudfront60s: summarize(lagOf(60_000)),
    closestStatusCallsOfOneDistributionSeconds: closestGapSeconds(learning.asked),
    statusCalls: { withHistory: totalCalls(learning.asked), denseThroughout: totalCalls(dense.asked) },
    callsRatioToDense: round(totalCalls(learning.asked) / totalCalls(dense.asked)),
    goal: "median ≤ 6 s, max ≤ 12 s, at most one status call per distribution every 10 s",
  };
}

/**
 * Deploys of 5–20 minutes, paced by the same function the change follower uses (`nextStatusAt`
 * with each distribution's deploy times): how late each Deployed is known, and the calls made.
 */
export function measureDeployLag() {
  const jobs = workload(26, 5 * 60_000, 20 * 60_000, 8);
  const run = (times: FinishTimes) => {
    const lags: number[] = [];
    let calls = 0;
    for (const job of jobs) {
      // Asked at once when written, then as the follower would.
      let at = nextStatusAt(job.submitAt, job.submitAt, times.fastest(job.distributionId));
      for (;;) {
        calls++;
        if (at - job.submitAt >= job.durationMs) break;
        at = nextStatusAt(at, job.submitAt, times.fastest(job.distributionId));
      }
      lags.push(at - job.submitAt - job.durationMs);
      times.record(job.distributionId, at - job.submitAt);
    }
    return { lags, calls };
  };
  const learning = run(new FinishTimes());
  const dense = run(new NothingLearnt());
  return {
    deploys: jobs.length,
    cdnbot: summarize(learning.lags),
    awsCliWaiter20s: summarize(jobs.map((j) => fixedLag(j.durationMs, 20_000))),
    statusCalls: { withHistory: learning.calls, denseThroughout: dense.calls },
    callsRatioToDense: round(learning.calls / dense.calls),
  };
}

function purgeOf(id: string, distributionId: string, at: number): PurgeOperation {
  return {
    version: 0,
    id,
    kind: "purge",
    alias: distributionId,
    distributionId,
    paths: [`/${id}.html`],
    requestedBy: { userId: "U1", teamId: "T1" },
    channelId: "C1",
    messageTs: `ts-${id}`,
    state: "requested",
    requestedAt: at,
    notes: [],
    told: [],
    announced: { created: false, final: false },
  };
}
