import { silentLogger } from "../src/logger.js";
import { PurgeEngine } from "../src/purge/purge-engine.js";
import { lowdbRecordStore } from "../src/store/lowdb-record-store.js";
import { emptyStoreData, type PurgeOperation } from "../src/store/records.js";
import { StateStore } from "../src/store/state-store.js";
import { CallPacer } from "../src/tracking/call-pacer.js";
import { benchCloudFront } from "./bench-cloudfront.js";
import { quietAnnouncer, round, seeded } from "./engine-simulations.js";

/** CloudFront's reported account limit on CreateInvalidation (aws-sdk-js#3983): about 0.5/s. */
const AWS_PER_SECOND = 0.5;
const AWS_BURST = 2;

/** Purges asked at one instant through the real engine, in simulated time, until all are sent. */
async function burst(purges: { distributionId: string; path: string }[], paced: boolean, windowMs: number) {
  let now = 0;
  // The model refuses CreateInvalidation past the account's limit, as AWS does.
  const cloudfront = benchCloudFront(
    () => now,
    () => 60_000,
    purges.map((p) => p.distributionId),
    { perSecond: AWS_PER_SECOND, burst: AWS_BURST },
  );
  const store = StateStore.inMemory(emptyStoreData());
  const wakes: number[] = [];
  const engine = new PurgeEngine({
    records: lowdbRecordStore(store),
    cloudfront: cloudfront.cloudfront,
    announcer: quietAnnouncer,
    clock: () => now,
    logger: silentLogger,
    pollMs: 20_000,
    coalesceWindowMs: windowMs,
    wakeAt: (at) => wakes.push(at),
    random: seeded(3),
    ...(paced ? { pacer: new CallPacer({ perSecond: 0.5, burst: 3 }), accountOf: () => "one-account" } : {}),
  });
  await Promise.all(
    purges.map(async (p, i) => {
      const op = purgeOf(`op${i}`, p.distributionId, p.path);
      await store.update((d) => {
        d.operations.push(op);
      });
      await engine.enqueue(op);
    }),
  );
  let nextTick = 20_000;
  const unsent = () => store.data.batches.some((b) => b.state !== "in-progress" && b.state !== "completed");
  while (unsent() && now < 3_600_000) {
    now = Math.min(nextTick, ...wakes.filter((w) => w > now));
    if (now >= nextTick) nextTick += 20_000;
    await engine.sendDue();
  }
  return {
    createInvalidationAttempts: cloudfront.calls.CreateInvalidation ?? 0,
    refusedByThrottling: cloudfront.refused.Throttling ?? 0,
    invalidations: cloudfront.pathsSent().length,
    allSentAfterSeconds: round(now / 1000, 1),
  };
}

const distributions = (n: number) =>
  Array.from({ length: n }, (_, i) => `EDIST${String(i).padStart(7, "0")}`);

/**
 * Pacing under the account's limit, against the same engine without a pacer (retrying throttled
 * calls with backoff): 20 distributions purged at once; 500 purges at once over 10 distributions.
 */
export async function measurePacing() {
  const twenty = distributions(20).map((distributionId, i) => ({ distributionId, path: `/p/${i}` }));
  const random = seeded(11);
  const ten = distributions(10);
  const fiveHundred = Array.from({ length: 500 }, (_, i) => ({
    distributionId: ten[Math.floor(random() * 10)]!,
    path: `/b/${i}.html`,
  }));
  return {
    twentyDistributionsAtOnce: {
      paced: await burst(twenty, true, 0),
      unpaced: await burst(twenty, false, 0),
    },
    fiveHundredPurgesOverTenDistributions: {
      paced: await burst(fiveHundred, true, 2000),
      floor: 10,
    },
    awsLimit: `${AWS_PER_SECOND}/s, burst ${AWS_BURST} (simulated)`,
  };
}

function purgeOf(id: string, distributionId: string, path: string): PurgeOperation {
  return {
    version: 0,
    id,
    kind: "purge",
    alias: distributionId,
    distributionId,
    paths: [path],
    requestedBy: { userId: "U1", teamId: "T1" },
    channelId: "C1",
    messageTs: `ts-${id}`,
    state: "requested",
    requestedAt: 0,
    notes: [],
    told: [],
    announced: { created: false, final: false },
  };
}
