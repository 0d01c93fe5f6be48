import { silentLogger } from "../src/logger.js";
import { countBilledPaths } from "../src/purge/invalidation-paths.js";
import type { PurgeAnnouncer } from "../src/purge/purge-announcer.js";
import { PurgeEngine } from "../src/purge/purge-engine.js";
import { lowdbRecordStore } from "../src/store/lowdb-record-store.js";
import { emptyStoreData, type PurgeOperation } from "../src/store/records.js";
import { StateStore } from "../src/store/state-store.js";
import { benchCloudFront } from "./bench-cloudfront.js";
import { seeded } from "./seeded.js";

export { seeded } from "./seeded.js";

/** A purge announcer that says nothing: the simulations count AWS calls, not Slack posts. */
export const quietAnnouncer: PurgeAnnouncer = {
  postParent: async (op) => `ts-${op.id}`,
  refreshParent: async () => {},
  replyCreated: async () => {},
  replyFinal: async () => {},
  replyNote: async () => {},
  tellRequester: async () => {},
  findPosted: async () => undefined,
};

function purge(
  id: string,
  distributionId: string,
  paths: string[],
  userId: string,
  at: number,
): PurgeOperation {
  return {
    version: 0,
    id,
    kind: "purge",
    alias: distributionId,
    distributionId,
    paths,
    requestedBy: { userId, teamId: "T1" },
    channelId: "C1",
    messageTs: `ts-${id}`,
    state: "requested",
    requestedAt: at,
    notes: [],
    told: [],
    announced: { created: false, final: false },
  };
}

type Submission = { at: number; distributionId: string; paths: string[]; userId: string };

/** Runs submissions through the real engine in simulated time until every purge has finished. */
async function runEngine(
  submissions: Submission[],
  opts: { windowMs: number; pollMs: number; durationMs: (i: number) => number },
) {
  let now = 0;
  const cloudfront = benchCloudFront(
    () => now,
    opts.durationMs,
    submissions.map((s) => s.distributionId),
  );
  const store = StateStore.inMemory(emptyStoreData());
  const engine = new PurgeEngine({
    records: lowdbRecordStore(store),
    cloudfront: cloudfront.cloudfront,
    announcer: quietAnnouncer,
    clock: () => now,
    logger: silentLogger,
    pollMs: opts.pollMs,
    coalesceWindowMs: opts.windowMs,
    wakeAt: () => {},
    random: seeded(7),
  });
  const queue = [...submissions].sort((a, b) => a.at - b.at);
  let n = 0;
  const step = 250;
  for (let guard = 0; guard < 200_000; guard++) {
    while (queue.length > 0 && queue[0]!.at <= now) {
      const s = queue.shift()!;
      const op = purge(`op${++n}`, s.distributionId, s.paths, s.userId, now);
      await store.update((d) => {
        d.operations.push(op);
      });
      await engine.enqueue(op);
    }
    await engine.tick();
    if (
      queue.length === 0 &&
      store.data.operations.every((o) => o.state === "completed" || o.state === "failed")
    )
      break;
    now += step;
  }
  const completed = store.data.batches.filter((b) => b.state === "completed").length;
  return {
    cloudfront,
    completedInvalidations: completed,
    purges: store.data.operations.length,
    simulatedMs: now,
  };
}

/** The naive way: one GetInvalidation per invalidation per poll. */
async function runNaive(
  submissions: Submission[],
  opts: { pollMs: number; durationMs: (i: number) => number },
) {
  let now = 0;
  const counted = benchCloudFront(
    () => now,
    opts.durationMs,
    submissions.map((s) => s.distributionId),
  );
  const cloudfront = counted.cloudfront;
  const inFlight: { distributionId: string; id: string; nextPollAt: number }[] = [];
  let completed = 0;
  const queue = [...submissions].sort((a, b) => a.at - b.at);
  let n = 0;
  while (queue.length > 0 || inFlight.length > 0) {
    while (queue.length > 0 && queue[0]!.at <= now) {
      const s = queue.shift()!;
      const inv = await cloudfront.createInvalidation(s.distributionId, s.paths, `naive-${++n}`);
      inFlight.push({ distributionId: s.distributionId, id: inv.id, nextPollAt: now + opts.pollMs });
    }
    for (const item of [...inFlight]) {
      if (item.nextPollAt > now) continue;
      const status = await cloudfront.getInvalidation(item.distributionId, item.id);
      if (status.status === "Completed") {
        inFlight.splice(inFlight.indexOf(item), 1);
        completed++;
      } else item.nextPollAt = now + opts.pollMs;
    }
    now += 250;
  }
  return { cloudfront: counted, completedInvalidations: completed };
}

/** Measure 2: AWS calls per completed invalidation, 200 purges over 5 distributions. */
export async function measureCallsPerInvalidation() {
  const random = seeded(42);
  const distributions = ["EDIST1", "EDIST2", "EDIST3", "EDIST4", "EDIST5"];
  const submissions: Submission[] = Array.from({ length: 200 }, (_, i) => ({
    at: Math.floor(random() * 600_000),
    distributionId: distributions[i % 5]!,
    paths: [`/release/${i}/index.html`],
    userId: `U${i % 10}`,
  }));
  // CloudFront typically takes one to five minutes per invalidation.
  const durationRandom = seeded(99);
  const durations = Array.from({ length: 400 }, () => 60_000 + Math.floor(durationRandom() * 240_000));
  const durationMs = (i: number) => durations[(i - 1) % durations.length]!;
  const pollMs = 20_000;
  const batched = await runEngine(submissions, { windowMs: 0, pollMs, durationMs });
  const naive = await runNaive(submissions, { pollMs, durationMs });
  const per = (calls: number, done: number) => calls / done;
  const batchedPer = per(batched.cloudfront.totalCalls(), batched.completedInvalidations);
  const naivePer = per(naive.cloudfront.totalCalls(), naive.completedInvalidations);
  return {
    purges: 200,
    distributions: 5,
    pollMs,
    cdnbot: {
      completedInvalidations: batched.completedInvalidations,
      calls: batched.cloudfront.calls,
      callsPerInvalidation: round(batchedPer),
    },
    naive: {
      completedInvalidations: naive.completedInvalidations,
      calls: naive.cloudfront.calls,
      callsPerInvalidation: round(naivePer),
    },
    ratio: round(batchedPer / naivePer),
  };
}

/** Measure 3: paths billed for a replayed burst (overlapping paths, wildcards, many requesters). */
export async function measureBurstBilling() {
  const random = seeded(2026);
  const distributions = ["EWEB", "ESHOP", "EDOCS"];
  const files = Array.from(
    { length: 40 },
    (_, i) => `/${["img", "css", "js", "pages"][i % 4]}/file-${i}.${["png", "css", "js", "html"][i % 4]}`,
  );
  const submissions: Submission[] = [];
  for (let i = 0; i < 300; i++) {
    // Bursts: a CI pipeline and people purging after each deploy, several deploys a minute.
    const deploy = Math.floor(i / 20);
    const at = deploy * 20_000 + Math.floor(random() * 3_000);
    const paths = new Set<string>();
    const count = 1 + Math.floor(random() * 4);
    for (let k = 0; k < count; k++) paths.add(files[Math.floor(random() * files.length)]!);
    if (random() < 0.08) paths.add(`/${["img", "css", "js"][Math.floor(random() * 3)]}/*`);
    submissions.push({
      at,
      distributionId: distributions[deploy % 3]!,
      paths: [...paths],
      userId: `U${Math.floor(random() * 25)}`,
    });
  }
  const durationMs = () => 90_000;
  const coalesced = await runEngine(submissions, { windowMs: 2000, pollMs: 20_000, durationMs });
  const separate = await runEngine(submissions, { windowMs: 0, pollMs: 20_000, durationMs });
  const billed = (sent: string[][]) => sent.reduce((sum, paths) => sum + countBilledPaths(paths), 0);
  const requestedPaths = submissions.reduce((sum, s) => sum + s.paths.length, 0);
  return {
    requests: submissions.length,
    requesters: new Set(submissions.map((s) => s.userId)).size,
    requestedPaths,
    withCoalescing: {
      invalidations: coalesced.cloudfront.pathsSent().length,
      pathsBilled: billed(coalesced.cloudfront.pathsSent()),
    },
    withoutCoalescing: {
      invalidations: separate.cloudfront.pathsSent().length,
      pathsBilled: billed(separate.cloudfront.pathsSent()),
    },
    ratio: round(billed(coalesced.cloudfront.pathsSent()) / billed(separate.cloudfront.pathsSent())),
  };
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
