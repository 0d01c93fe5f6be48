import type { ApprovalDeps } from "../src/approvals/approval-service.js";
import type { DistributionConfig } from "../src/aws/cloudfront-gateway.js";
import type { ChangeDeps } from "../src/changes/change-deps.js";
import { trackChanges } from "../src/changes/deploy-tracker.js";
import { compileChange, diffWrites } from "../src/changes/plan-change.js";
import { parseConfig } from "../src/config/load-config.js";
import { DistributionDirectory } from "../src/directory/distribution-directory.js";
import { silentLogger } from "../src/logger.js";
import { DEMO_DISTRIBUTIONS } from "../src/sandbox/demo-distributions.js";
import { SimulatedCloudFront } from "../src/sandbox/simulated-cloudfront.js";
import { SimulatedCloudWatch } from "../src/sandbox/simulated-cloudwatch.js";
import { lowdbRecordStore } from "../src/store/lowdb-record-store.js";
import { type ChangeOperation, emptyStoreData } from "../src/store/records.js";
import { StateStore } from "../src/store/state-store.js";
import { evaluateAlert } from "../src/watch/alert-rules.js";
import { round } from "./engine-simulations.js";
import { seeded } from "./seeded.js";

const MINUTE = 60_000;
/** The changes job's tick in the bot (CDNBOT_POLL_MS's default). */
const TICK_MS = 20_000;
/** CloudWatch shows a minute's datapoint once the minute is over and a minute more has passed. */
const PUBLISHED_AFTER_MS = 2 * MINUTE;

/**
 * The real staged-change workflow (the deploy follower's job, the staged runner, the change machine,
 * the lowdb store) in simulated time against the sandbox's CloudFront and CloudWatch models: a staged
 * change soaks on docs, its staging copy starts answering 12 % 5xx at a random moment, and the time
 * from CloudWatch publishing the first bad minute to the policy being off (all traffic back on the
 * primary) is counted in metric periods (one minute). The baseline is the same series as a watch
 * would read it with the default alert rule (three datapoints past 5 %, read every minute): when a
 * person would first be told, before they do anything.
 */
export async function measureStagedPullBack(runs = 20) {
  const random = seeded(28);
  const pullBack: number[] = [];
  const alert: number[] = [];
  for (let run = 0; run < runs; run++) {
    const { pulledBackAt, alertedAt, publishedAt } = await oneBreach(random, `RBENCH${run}`);
    pullBack.push((pulledBackAt - publishedAt) / MINUTE);
    alert.push((alertedAt - publishedAt) / MINUTE);
  }
  const summary = (periods: number[]) => {
    const sorted = [...periods].sort((a, b) => a - b);
    return {
      medianPeriods: round(sorted[Math.floor(sorted.length / 2)]!, 2),
      maxPeriods: round(sorted.at(-1)!, 2),
    };
  };
  const cdnbot = summary(pullBack);
  const watchAlert = summary(alert);
  return { runs, cdnbot, watchAlert, ratioMax: round(cdnbot.maxPeriods / watchAlert.maxPeriods, 2) };
}

async function oneBreach(random: () => number, id: string) {
  const docs = DEMO_DISTRIBUTIONS.find((d) => d.alias === "docs")!;
  let now = Date.UTC(2026, 11, 7, 12) + Math.floor(random() * 10 * MINUTE);
  const clock = () => now;
  const cloudfront = new SimulatedCloudFront(
    [{ id: docs.id, config: docs.config }],
    clock,
    { invalidationMs: [1000, 1000], deployMs: [60_000, 120_000], speed: 1 },
    random,
  );
  const cloudwatch = new SimulatedCloudWatch(
    (id) => (id === docs.id ? docs.peakRequestsPerMinute : cloudfront.isStagingCopy(id) ? 150 : undefined),
    clock,
  );
  const config = parseConfig(
    `distributions:\n  docs:\n    id: ${docs.id}\nstaging:\n  soak: 2h\n  checkEvery: 1m\n`,
    "bench.yml",
  );
  const records = lowdbRecordStore(StateStore.inMemory(emptyStoreData()));
  const deps: ChangeDeps = {
    config,
    directory: new DistributionDirectory(config),
    records,
    cloudfront,
    cloudwatch,
    announcer: {
      postParent: async (op) => `ts-${op.id}`,
      refreshParent: async () => {},
      replyWritten: async () => {},
      replyFinal: async () => {},
      findFinal: async () => false,
      replyNote: async () => {},
    },
    // The runner neither asks for nor gives approvals.
    approvals: {} as ApprovalDeps,
    membersOf: async () => [],
    clock,
    logger: silentLogger,
    newId: () => id,
    pollMs: TICK_MS,
  };
  const change = stagedChange(id, docs.id, docs.config, now);
  await records.commit({ writes: [{ kind: "change", op: "create", record: change }] }, now);

  const phase = async () => (await records.get("change", id))?.staged?.phase;
  const tick = async () => {
    now += TICK_MS;
    await trackChanges(deps);
  };
  // Set up, deployed, soaking: then, at a moment within the next minutes, the copy starts failing.
  for (let guard = 0; (await phase()) !== "soaking"; guard++) {
    if (guard > 500) {
      const op = await records.get("change", id);
      throw new Error(
        `the staged change never soaked: ${JSON.stringify({ state: op?.state, staged: op?.staged, failure: op?.failure })}`,
      );
    }
    await tick();
  }
  const stagingId = cloudfront.servingStagingOf(docs.id)!;
  const breachAt = now + Math.floor(random() * 3 * MINUTE);
  cloudwatch.spike(stagingId, { metric: "5xxErrorRate", value: 12, from: breachAt });
  const publishedAt = Math.floor(breachAt / MINUTE) * MINUTE + PUBLISHED_AFTER_MS;

  let alertedAt: number | undefined;
  let alertState = {
    version: 0,
    watchId: "w",
    metric: "5xxErrorRate" as const,
    state: "ok" as const,
    since: 0,
  };
  let nextAlertCheck = now;
  let pulledBackAt: number | undefined;
  while (pulledBackAt === undefined || alertedAt === undefined) {
    await tick();
    if (pulledBackAt === undefined && cloudfront.servingStagingOf(docs.id) === undefined) pulledBackAt = now;
    if (alertedAt === undefined && now >= nextAlertCheck) {
      nextAlertCheck += MINUTE;
      const series = await cloudwatch.getDistributionMetrics(stagingId, ["5xxErrorRate"], {
        startMs: now - 13 * MINUTE,
        endMs: now,
        periodSeconds: 60,
      });
      const verdict = evaluateAlert(series["5xxErrorRate"] ?? [], 5, alertState as never, now, {
        minDatapoints: 3,
        recoveryRatio: 0.8,
        cooldown: 15 * MINUTE,
      });
      alertState = verdict.state as typeof alertState;
      if (verdict.notify) alertedAt = now;
    }
    if (now - breachAt > 60 * MINUTE) throw new Error("the staged change was never pulled back");
  }
  return { pulledBackAt, alertedAt, publishedAt };
}

/** A price class change staged with a tenth of the requests, previewed as the bot previews it. */
function stagedChange(
  id: string,
  distributionId: string,
  config: DistributionConfig,
  now: number,
): ChangeOperation {
  const spec = { kind: "price-class" as const, priceClass: "PriceClass_200" as const };
  const diffs = diffWrites(config, compileChange(spec, config));
  return {
    version: 0,
    id: id,
    alias: "docs",
    distributionId,
    spec,
    diffs,
    summary: "price class: PriceClass_100 → PriceClass_200",
    requestedBy: { userId: "UBENCH", teamId: "T1" },
    channelId: "C1",
    messageTs: `ts-${id}`,
    state: "writing",
    requestedAt: now,
    told: [],
    announced: { written: false, final: false },
    staged: { traffic: { weight: 0.1 } },
  };
}
