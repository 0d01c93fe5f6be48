import {
  AccessDenied,
  CloudFrontClient,
  CreateInvalidationCommand,
  GetInvalidationCommand,
  InvalidArgument,
  ListInvalidationsCommand,
  TooManyInvalidationsInProgress,
} from "@aws-sdk/client-cloudfront";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createCloudFrontGateway } from "../../src/aws/cloudfront-gateway.js";
import { silentLogger } from "../../src/logger.js";
import { sendInvalidation } from "../../src/purge/purge-lifecycle.js";
import { emptyStoreData, type PurgeOperation } from "../../src/store/records.js";
import { StateStore } from "../../src/store/state-store.js";
import { PurgeTracker } from "../../src/tracking/purge-tracker.js";
import { aPurge, recordingAnnouncer } from "../support/fixtures.js";

const cf = mockClient(CloudFrontClient);
const meta = { $metadata: { requestId: "req-1" } };

function setup(ops: PurgeOperation[]) {
  const store = StateStore.inMemory({ ...emptyStoreData(), operations: ops });
  const announcer = recordingAnnouncer();
  let now = 1_700_000_100_000;
  const deps = {
    store,
    cloudfront: createCloudFrontGateway(new CloudFrontClient({ region: "us-east-1" })),
    announcer,
    clock: () => now,
    logger: silentLogger,
  };
  const tracker = new PurgeTracker({ ...deps, pollMs: 10, sleep: async () => {} });
  return { store, announcer, deps, tracker, advance: (ms: number) => (now += ms) };
}

const invalidation = (id: string, status: string) => ({
  Id: id,
  Status: status,
  CreateTime: new Date(),
  InvalidationBatch: { CallerReference: "ref", Paths: { Quantity: 0 } },
});

beforeEach(() => cf.reset());

describe("sending an invalidation", () => {
  it("sends the operation's paths with its own CallerReference and reports it in the thread", async () => {
    // Prepare
    cf.on(CreateInvalidationCommand).resolves({ ...meta, Invalidation: invalidation("I1", "InProgress") });
    const { deps, store, announcer } = setup([aPurge({ paths: ["/a", "/b/*"] })]);
    // Act
    await sendInvalidation(deps, store.data.operations[0]!);
    // Assess
    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      DistributionId: "E2EXAMPLE123",
      InvalidationBatch: { CallerReference: "cdnbot-op-1", Paths: { Quantity: 2, Items: ["/a", "/b/*"] } },
    });
    expect(store.data.operations[0]).toMatchObject({ state: "in-progress", invalidationId: "I1" });
    expect(announcer.said.map((s) => s.kind)).toEqual(["replyCreated", "refreshParent"]);
  });

  it.each([
    [new AccessDenied({ message: "User is not authorized", ...meta }), /not allowed to do this/],
    [
      new InvalidArgument({ message: "Your request contains one or more invalid paths", ...meta }),
      /invalid paths/,
    ],
  ])("fails the purge with words a person understands on %s", async (error, words) => {
    cf.on(CreateInvalidationCommand).rejects(error);
    const { deps, store, announcer } = setup([aPurge()]);
    await sendInvalidation(deps, store.data.operations[0]!);
    expect(store.data.operations[0]).toMatchObject({ state: "failed", error: expect.stringMatching(words) });
    expect(announcer.said).toContainEqual(expect.objectContaining({ kind: "replyFinal", state: "failed" }));
  });

  it.each([
    new TooManyInvalidationsInProgress({
      message: "Processing your request will cause you to exceed…",
      ...meta,
    }),
    Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } }),
  ])("keeps the purge and tries again later on %s, saying so once", async (error) => {
    cf.on(CreateInvalidationCommand).rejects(error);
    const { store, announcer, tracker } = setup([aPurge()]);
    await tracker.tick();
    await tracker.tick();
    expect(store.data.operations[0]?.state).toBe("requested");
    expect(announcer.said.filter((s) => s.kind === "replyNote")).toHaveLength(1);
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 2);

    cf.on(CreateInvalidationCommand).resolves({ ...meta, Invalidation: invalidation("I9", "InProgress") });
    await tracker.tick();
    expect(store.data.operations[0]).toMatchObject({ state: "in-progress", invalidationId: "I9" });
  });
});

describe("PurgeTracker", () => {
  it("reads all of a distribution's invalidations with one ListInvalidations per tick", async () => {
    cf.on(ListInvalidationsCommand).resolves({
      InvalidationList: {
        Items: [
          invalidation("I1", "InProgress"),
          invalidation("I2", "Completed"),
          invalidation("I3", "InProgress"),
        ],
        Quantity: 3,
        IsTruncated: false,
        Marker: "",
        MaxItems: 100,
      },
    });
    const ops = ["I1", "I2", "I3"].map((inv, i) =>
      aPurge({
        id: `op-${i}`,
        state: "in-progress",
        invalidationId: inv,
        announced: { created: true, final: false },
      }),
    );
    const { store, announcer, tracker } = setup(ops);

    await tracker.tick();

    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
    expect(cf).not.toHaveReceivedCommand(GetInvalidationCommand);
    expect(store.data.operations.map((o) => o.state)).toEqual(["in-progress", "completed", "in-progress"]);
    expect(announcer.said.filter((s) => s.kind === "replyFinal").map((s) => s.opId)).toEqual(["op-1"]);
  });

  it("asks GetInvalidation only for ids missing from the first page", async () => {
    cf.on(ListInvalidationsCommand).resolves({
      InvalidationList: { Items: [], Quantity: 0, IsTruncated: true, Marker: "", MaxItems: 100 },
    });
    cf.on(GetInvalidationCommand, { Id: "IOLD" }).resolves({
      Invalidation: invalidation("IOLD", "Completed"),
    });
    const { store, tracker } = setup([aPurge({ state: "in-progress", invalidationId: "IOLD" })]);

    await tracker.tick();

    expect(cf).toHaveReceivedCommandTimes(GetInvalidationCommand, 1);
    expect(store.data.operations[0]?.state).toBe("completed");
  });

  it("reports the outcome once, with the time it took, even when Slack first refuses", async () => {
    cf.on(ListInvalidationsCommand).resolves({
      InvalidationList: {
        Items: [invalidation("I1", "Completed")],
        Quantity: 1,
        IsTruncated: false,
        Marker: "",
        MaxItems: 100,
      },
    });
    const { store, announcer, tracker } = setup([
      aPurge({
        state: "in-progress",
        invalidationId: "I1",
        createdAt: 1_700_000_000_000,
        announced: { created: true, final: false },
      }),
    ]);
    announcer.failNext = "replyFinal";

    await tracker.tick(); // completes, but Slack refuses the reply
    await tracker.tick(); // retries the reply
    await tracker.tick(); // nothing left to say

    expect(store.data.operations[0]).toMatchObject({
      state: "completed",
      finishedAt: 1_700_000_100_000,
      announced: { final: true },
    });
    expect(announcer.said.filter((s) => s.kind === "replyFinal")).toHaveLength(1);
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
  });

  it("resumes a purge whose intent was stored before a crash, re-sending the same CallerReference", async () => {
    cf.on(CreateInvalidationCommand).resolves({ Invalidation: invalidation("I1", "InProgress") });
    const { store, tracker } = setup([aPurge({ id: "op-crashed", state: "creating" })]);

    await tracker.tick();

    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      InvalidationBatch: expect.objectContaining({ CallerReference: "cdnbot-op-crashed" }),
    });
    expect(store.data.operations[0]).toMatchObject({ state: "in-progress", invalidationId: "I1" });
  });

  it("fails a purge CloudFront no longer knows, instead of polling it forever", async () => {
    cf.on(ListInvalidationsCommand).resolves({
      InvalidationList: { Items: [], Quantity: 0, IsTruncated: false, Marker: "", MaxItems: 100 },
    });
    cf.on(GetInvalidationCommand).rejects(
      Object.assign(new Error("gone"), { name: "NoSuchInvalidation", $metadata: {} }),
    );
    const { store, tracker } = setup([aPurge({ state: "in-progress", invalidationId: "IGONE" })]);

    await tracker.tick();

    expect(store.data.operations[0]).toMatchObject({
      state: "failed",
      error: expect.stringMatching(/no invalidation with this id/),
    });
  });
});
