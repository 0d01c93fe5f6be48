import { CloudFrontClient, ListInvalidationsCommand } from "@aws-sdk/client-cloudfront";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createCloudFrontGateway } from "../../src/aws/cloudfront-gateway.js";
import { silentLogger } from "../../src/logger.js";
import { PurgeEngine } from "../../src/purge/purge-engine.js";
import { lowdbRecordStore } from "../../src/store/lowdb-record-store.js";
import { emptyStoreData } from "../../src/store/records.js";
import { StateStore } from "../../src/store/state-store.js";
import { leaseOwnership, WORK_LEASE_MS } from "../../src/tracking/work-leases.js";
import { anInFlightBatch, aPurge, recordingAnnouncer } from "../support/fixtures.js";

const cf = mockClient(CloudFrontClient);
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

const inFlight = (id: string, distributionId: string) =>
  anInFlightBatch(id, `I-${id}`, T0, { distributionId });

/** Two replicas: two engines, each with its own lease holder, on one shared store. */
function twoReplicas() {
  const batches = [inFlight("w", "EWEB00000001"), inFlight("s", "ESHOP0000001")];
  const ops = batches.map((b) =>
    aPurge({
      id: `op-${b.id}`,
      distributionId: b.distributionId,
      batchId: b.id,
      state: "in-progress",
      invalidationId: b.invalidationId,
      announced: { created: true, final: false },
    }),
  );
  const shared = StateStore.inMemory({ ...emptyStoreData(), operations: ops, batches });
  let now = T0;
  const clock = () => now;
  const replica = (holder: string) => {
    const records = lowdbRecordStore(shared);
    const ownership = leaseOwnership(records, holder, clock);
    const engine = new PurgeEngine({
      records,
      cloudfront: createCloudFrontGateway(new CloudFrontClient({ region: "us-east-1" })),
      announcer: recordingAnnouncer(),
      clock,
      logger: silentLogger,
      pollMs: 1000,
      statusEveryMs: 1000,
      coalesceWindowMs: 0,
      wakeAt: () => undefined,
      random: () => 0.5,
      owns: (work) => ownership.owns(work),
    });
    return { engine, ownership };
  };
  return { a: replica("replica-a"), b: replica("replica-b"), advance: (ms: number) => (now += ms) };
}

/** The distributions each ListInvalidations of this tick asked about. */
const polled = () => cf.commandCalls(ListInvalidationsCommand).map((c) => c.args[0].input.DistributionId);

beforeEach(() => {
  cf.reset();
  // Both invalidations still running: every poll finds them, nothing finishes.
  const running = ["I-w", "I-s"].map((Id) => ({ Id, Status: "InProgress", CreateTime: new Date(T0) }));
  cf.on(ListInvalidationsCommand).resolves({
    InvalidationList: { Items: running, Quantity: 2, IsTruncated: false, Marker: "", MaxItems: 100 },
  });
});

describe("several replicas on one store", () => {
  it("read each distribution once a tick: the replica holding its lease does", async () => {
    const { a, b } = twoReplicas();

    // The same tick on both: each reads the batches as due before either has polled.
    await Promise.all([a.engine.pollInFlight(), b.engine.pollInFlight()]);

    expect(polled().sort()).toEqual(["ESHOP0000001", "EWEB00000001"]);
  });

  it("take over a dead replica's distributions once its leases lapse, not before", async () => {
    const { a, b, advance } = twoReplicas();
    await a.engine.pollInFlight(); // a takes both
    cf.resetHistory();

    // a dies: it renews nothing from now on.
    advance(WORK_LEASE_MS - 1_000);
    await b.engine.pollInFlight();
    expect(polled()).toEqual([]);

    advance(1_000);
    await b.engine.pollInFlight();
    expect(polled().sort()).toEqual(["ESHOP0000001", "EWEB00000001"]);
  });

  it("hand the work over at once when a replica stops cleanly", async () => {
    const { a, b, advance } = twoReplicas();
    await a.engine.pollInFlight();
    cf.resetHistory();

    await a.ownership.releaseAll();
    advance(1_000);
    await b.engine.pollInFlight();

    expect(polled().sort()).toEqual(["ESHOP0000001", "EWEB00000001"]);
  });
});
