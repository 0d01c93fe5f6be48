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
import { PurgeEngine } from "../../src/purge/purge-engine.js";
import { lowdbRecordStore } from "../../src/store/lowdb-record-store.js";
import { emptyStoreData, type PurgeBatch, type PurgeOperation } from "../../src/store/records.js";
import { StateStore } from "../../src/store/state-store.js";
import { CallPacer } from "../../src/tracking/call-pacer.js";
import { failureText } from "../../src/workflow/failures.js";
import { anInFlightBatch, aPurge, recordingAnnouncer } from "../support/fixtures.js";

const cf = mockClient(CloudFrontClient);
const meta = { $metadata: { requestId: "req-1" } };
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

function setup(ops: PurgeOperation[] = [], batches: PurgeBatch[] = [], windowMs = 0, pacer?: CallPacer) {
  const store = StateStore.inMemory({ ...emptyStoreData(), operations: ops, batches });
  const announcer = recordingAnnouncer();
  let now = T0;
  let batchCounter = 0;
  const wakes: number[] = [];
  const pollWakes: number[] = [];
  const engine = new PurgeEngine({
    records: lowdbRecordStore(store),
    cloudfront: createCloudFrontGateway(new CloudFrontClient({ region: "us-east-1" })),
    announcer,
    clock: () => now,
    logger: silentLogger,
    pollMs: 1000,
    statusEveryMs: 1000,
    coalesceWindowMs: windowMs,
    wakeAt: (at) => wakes.push(at),
    wakePollAt: (at) => pollWakes.push(at),
    random: () => 0.5,
    newBatchId: () => `b${++batchCounter}`,
    ...(pacer ? { pacer, accountOf: () => "111111111111" } : {}),
  });
  const add = async (op: PurgeOperation) => {
    await store.update((d) => {
      d.operations.push(op);
    });
    return engine.enqueue(op);
  };
  return { store, announcer, engine, wakes, pollWakes, add, advance: (ms: number) => (now += ms) };
}

const invalidation = (id: string, status: string, paths: string[] = []) => ({
  Id: id,
  Status: status,
  CreateTime: new Date(T0),
  InvalidationBatch: { CallerReference: "ref", Paths: { Quantity: paths.length, Items: paths } },
});
const list = (...items: ReturnType<typeof invalidation>[]) => ({
  InvalidationList: { Items: items, Quantity: items.length, IsTruncated: false, Marker: "", MaxItems: 100 },
});
const said = (a: ReturnType<typeof recordingAnnouncer>, kind: string) =>
  a.said.filter((s) => s.kind === kind);

beforeEach(() => cf.reset());

describe("sending", () => {
  it("sends the paths with the batch's own CallerReference and tells the thread", async () => {
    cf.on(CreateInvalidationCommand).resolves({ ...meta, Invalidation: invalidation("I1", "InProgress") });
    const { add, store, announcer } = setup();

    await add(aPurge({ paths: ["/a", "/b/*"] }));

    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      DistributionId: "E2EXAMPLE123",
      InvalidationBatch: { CallerReference: "cdnbot-b1", Paths: { Quantity: 2, Items: ["/a", "/b/*"] } },
    });
    expect(store.data.operations[0]).toMatchObject({
      state: "in-progress",
      invalidationId: "I1",
      batchId: "b1",
    });
    expect(said(announcer, "replyCreated")).toHaveLength(1);
    expect(store.data.audit).toContainEqual(
      expect.objectContaining({ type: "aws.CreateInvalidation", awsRequestId: "req-1" }),
    );
  });

  it.each([
    [new AccessDenied({ message: "User is not authorized", ...meta }), /not allowed to do this/],
    [
      new InvalidArgument({ message: "Your request contains one or more invalid paths", ...meta }),
      /invalid paths/,
    ],
  ])("fails the purge in words a person understands on %s", async (error, words) => {
    cf.on(CreateInvalidationCommand).rejects(error);
    const { add, store, announcer } = setup();
    await add(aPurge());
    expect(store.data.operations[0]).toMatchObject({ state: "failed", failure: { code: "aws-refused" } });
    expect(failureText(store.data.operations[0]!)).toMatch(words);
    expect(said(announcer, "replyFinal")).toEqual([expect.objectContaining({ state: "failed" })]);
  });

  it.each([
    new TooManyInvalidationsInProgress({
      message: "Processing your request will cause you to exceed…",
      ...meta,
    }),
    Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } }),
  ])("backs off with jitter on %s instead of failing, saying so once", async (error) => {
    cf.on(CreateInvalidationCommand).rejects(error);
    const { add, store, announcer, engine, advance, wakes } = setup();
    await add(aPurge());
    expect(store.data.batches[0]).toMatchObject({ state: "waiting", attempts: 1 });
    const firstRetry = store.data.batches[0]!.sendAt;
    expect(firstRetry - T0).toBe(750); // half of 1 s fixed, half jittered (random = 0.5)
    expect(wakes).toContain(firstRetry);

    await engine.tick(); // not due yet
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
    advance(1000);
    await engine.tick();
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 2);
    expect(store.data.batches[0]!.sendAt - (T0 + 1000)).toBe(1500); // the second delay is longer
    expect(said(announcer, "replyNote")).toHaveLength(1);

    cf.on(CreateInvalidationCommand).resolves({ Invalidation: invalidation("I9", "InProgress") });
    advance(5000);
    await engine.tick();
    expect(store.data.operations[0]).toMatchObject({ state: "in-progress", invalidationId: "I9" });
  });
});

describe("coalescing", () => {
  it("turns purges within the window into one invalidation, each requester keeping a thread", async () => {
    cf.on(CreateInvalidationCommand).resolves({ Invalidation: invalidation("I1", "InProgress") });
    cf.on(ListInvalidationsCommand).resolves(list(invalidation("I1", "Completed")));
    const { add, store, announcer, engine, advance, wakes } = setup([], [], 2000);

    await add(aPurge({ id: "a", paths: ["/img/a.png", "/index.html"] }));
    advance(500);
    await add(
      aPurge({
        id: "b",
        paths: ["/index.html", "/css/x.css"],
        requestedBy: { userId: "UBOB", teamId: "T0001" },
      }),
    );
    advance(500);
    await add(aPurge({ id: "c", paths: ["/img/*"] }));
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(wakes).toEqual([T0 + 2000]);

    advance(1000);
    await engine.tick();
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      InvalidationBatch: expect.objectContaining({
        Paths: { Quantity: 3, Items: ["/index.html", "/css/x.css", "/img/*"] },
      }),
    });
    expect(store.data.pathsBilled["2026-11"]).toBe(3);

    advance(1000);
    await engine.tick();
    expect(said(announcer, "replyCreated").map((s) => s.opId)).toEqual(["a", "b", "c"]);
    expect(said(announcer, "replyFinal").map((s) => s.opId)).toEqual(["a", "b", "c"]);
  });

  it("never holds a lone purge longer than the window", async () => {
    cf.on(CreateInvalidationCommand).resolves({ Invalidation: invalidation("I1", "InProgress") });
    const { add, engine, advance } = setup([], [], 2000);
    await add(aPurge());
    advance(1999);
    await engine.tick();
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    advance(1);
    await engine.tick();
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
  });

  /** A purge stored (and acked) at `at` whose thread is still being opened: not yet in a batch. */
  const onItsWay = async (store: ReturnType<typeof setup>["store"], id: string, at: number) => {
    const op = aPurge({ id, paths: [`/${id}.html`], requestedAt: at });
    await store.update((d) => {
      d.operations.push(op);
    });
    return op;
  };

  it("waits past the window for a purge asked for within it that is still on its way", async () => {
    cf.on(CreateInvalidationCommand).resolves({ Invalidation: invalidation("I1", "InProgress") });
    const { add, store, engine, advance, wakes } = setup([], [], 2000);
    await add(aPurge({ id: "a", paths: ["/a.html"], requestedAt: T0 }));
    advance(1500);
    const late = await onItsWay(store, "b", T0 + 1500);
    // Asked for after the window closed: not waited for.
    await onItsWay(store, "c", T0 + 2001);

    advance(500);
    await engine.tick();
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(wakes).toContain(T0 + 3000);

    advance(300);
    await engine.enqueue(late);
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      InvalidationBatch: expect.objectContaining({ Paths: { Quantity: 2, Items: ["/a.html", "/b.html"] } }),
    });
  });

  it("waits at most 5 s past the window for a purge that never gets there", async () => {
    cf.on(CreateInvalidationCommand).resolves({ Invalidation: invalidation("I1", "InProgress") });
    const { add, store, engine, advance, wakes } = setup([], [], 2000);
    await add(aPurge({ id: "a", paths: ["/a.html"], requestedAt: T0 }));
    await onItsWay(store, "stuck", T0 + 1000);

    advance(6999);
    await engine.tick();
    expect(cf).not.toHaveReceivedCommand(CreateInvalidationCommand);
    expect(Math.max(...wakes)).toBe(T0 + 7000);
    advance(1);
    await engine.tick();
    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      InvalidationBatch: expect.objectContaining({ Paths: { Quantity: 1, Items: ["/a.html"] } }),
    });
  });
});

describe("joining under a burst", () => {
  it("puts purges that arrive together in one batch with few commits, each answered with it", async () => {
    const { store, engine } = setup([], [], 2000);
    const ops = Array.from({ length: 90 }, (_, i) => aPurge({ id: `p${i}`, paths: [`/p/${i}.html`] }));
    await store.update((d) => {
      d.operations.push(...ops);
    });
    let commits = 0;
    const log = store.log.bind(store);
    store.log = (change) => {
      commits += 1;
      return log(change);
    };

    const batches = await Promise.all(ops.map((op) => engine.enqueue(op)));

    expect(new Set(batches.map((b) => b.id))).toEqual(new Set(["b1"]));
    expect(store.data.batches).toHaveLength(1);
    expect(store.data.batches[0]!.operationIds).toHaveLength(90);
    expect(store.data.operations.every((op) => op.batchId === "b1")).toBe(true);
    // The first joins alone; the rest wait for it and join 40 a commit (one purge a commit made 90).
    expect(commits).toBeLessThanOrEqual(4);
  });
});

describe("quotas", () => {
  it("queues a wildcard purge while 15 wildcard paths are in flight and starts it when room frees up", async () => {
    const busy = Array.from({ length: 15 }, (_, i) => `/w${i}/*`);
    cf.on(CreateInvalidationCommand)
      .resolvesOnce({ Invalidation: invalidation("I1", "InProgress") })
      .resolves({ Invalidation: invalidation("I2", "InProgress") });
    cf.on(ListInvalidationsCommand).resolves(list(invalidation("I1", "InProgress")));
    const { add, store, announcer, engine, advance } = setup();

    await add(aPurge({ id: "first", paths: busy }));
    await add(aPurge({ id: "second", paths: ["/more/*"] }));

    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
    expect(store.data.batches[1]).toMatchObject({ state: "waiting", waitingReason: "queued" });
    expect(said(announcer, "replyNote")).toEqual([
      expect.objectContaining({
        opId: "second",
        note: expect.stringMatching(
          /^Queued: CloudFront allows 15 wildcard paths in progress per distribution and 15 are/,
        ),
      }),
    ]);
    // Told once by its code: the stored flag says nothing of the wording.
    expect(store.data.operations.find((o) => o.id === "second")?.told).toEqual(["queued:wildcard"]);

    advance(1000);
    await engine.tick();
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);

    cf.on(ListInvalidationsCommand).resolves(list(invalidation("I1", "Completed")));
    advance(1000);
    await engine.tick(); // I1 completes, freeing room
    advance(1000);
    await engine.tick();
    expect(cf).toHaveReceivedCommandTimes(CreateInvalidationCommand, 2);
    expect(store.data.operations.find((o) => o.id === "second")).toMatchObject({
      state: "in-progress",
      invalidationId: "I2",
    });
    expect(said(announcer, "replyNote")).toHaveLength(1);
  });
});

describe("recovering a purge whose thread is not open yet", () => {
  it("leaves a thread being posted to the hands posting it, however long the purge waited before", async () => {
    const { store, announcer, engine, advance } = setup();
    // Asked for 44 s ago, decided (its thread's post claimed) 2 s ago: a slow decision, not lost hands.
    advance(46_000);
    const op = aPurge({
      id: "RSLOW01",
      state: "requested",
      requestedAt: T0 + 2_000,
      posting: { parent: T0 + 44_000 },
    });
    delete op.messageTs;
    await store.update((d) => {
      d.operations.push(op);
    });
    await engine.tick();
    expect(said(announcer, "postParent")).toEqual([]);

    // Its claim is past the longest a post takes: those hands are gone, and the thread is opened once.
    advance(30_000);
    await engine.tick();
    expect(said(announcer, "postParent")).toHaveLength(1);
  });
});

describe("polling", () => {
  const inFlight = (id: string, inv: string, createdAt = T0, overrides: Partial<PurgeBatch> = {}) =>
    anInFlightBatch(id, inv, createdAt, overrides);
  const opFor = (b: PurgeBatch) =>
    aPurge({
      id: `op-${b.id}`,
      batchId: b.id,
      state: "in-progress",
      invalidationId: b.invalidationId,
      announced: { created: true, final: false },
    });

  it("reads all of a distribution's invalidations with one ListInvalidations per tick", async () => {
    cf.on(ListInvalidationsCommand).resolves(
      list(
        invalidation("I1", "InProgress"),
        invalidation("I2", "Completed"),
        invalidation("I3", "InProgress"),
      ),
    );
    const batches = [inFlight("x", "I1"), inFlight("y", "I2"), inFlight("z", "I3")];
    const { store, announcer, engine } = setup(batches.map(opFor), batches);

    await engine.tick();

    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
    expect(cf).not.toHaveReceivedCommand(GetInvalidationCommand);
    expect(store.data.operations.map((o) => o.state)).toEqual(["in-progress", "completed", "in-progress"]);
    expect(said(announcer, "replyFinal").map((s) => s.opId)).toEqual(["op-y"]);
  });

  it("asks GetInvalidation only for ids missing from the first page", async () => {
    cf.on(ListInvalidationsCommand).resolves({
      InvalidationList: { ...list().InvalidationList, IsTruncated: true },
    });
    cf.on(GetInvalidationCommand, { Id: "IOLD" }).resolves({
      Invalidation: invalidation("IOLD", "Completed"),
    });
    const b = inFlight("old", "IOLD");
    const { store, engine } = setup([opFor(b)], [b]);

    await engine.tick();

    expect(cf).toHaveReceivedCommandTimes(GetInvalidationCommand, 1);
    expect(store.data.operations[0]?.state).toBe("completed");
  });

  it("asks a distribution at most once per status interval, timed from when the ask was due", async () => {
    cf.on(ListInvalidationsCommand).resolves(
      list(invalidation("I1", "InProgress"), invalidation("I2", "InProgress")),
    );
    const first = inFlight("first", "I1");
    const second = inFlight("second", "I2", T0 + 300, { nextPollAt: T0 + 300 });
    const { store, engine, advance, pollWakes } = setup([opFor(first), opFor(second)], [first, second]);

    await engine.tick();
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
    // Both were read by that one call; the next ask is a status interval after it was due.
    expect(store.data.batches.map((b) => b.nextPollAt)).toEqual([T0 + 1000, T0 + 1000]);
    expect(pollWakes.at(-1)).toBe(T0 + 1000);
    advance(300);
    await engine.tick();
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
    advance(700);
    await engine.tick();
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 2);
  });

  it("asks less often in CloudFront's long tail", async () => {
    cf.on(ListInvalidationsCommand).resolves(list(invalidation("I1", "InProgress")));
    const old = inFlight("old", "I1", T0 - 31 * 60_000, { nextPollAt: T0 });
    const { store, engine } = setup([opFor(old)], [old]);
    await engine.tick();
    expect(store.data.batches[0]!.nextPollAt).toBe(T0 + 3000);
  });

  it("asks sparsely before a distribution's fastest finish seen, densely after", async () => {
    // Three of this distribution's invalidations took five minutes: a new one is not done in one.
    const done = ["I1", "I2", "I3"].map((id) => inFlight(`done-${id}`, id, T0 - 5 * 60_000));
    const fresh = inFlight("fresh", "I4", T0, { nextPollAt: T0 });
    const other = inFlight("other", "I5", T0, { nextPollAt: T0, distributionId: "EOTHER000001" });
    cf.on(ListInvalidationsCommand, { DistributionId: "E2EXAMPLE123" }).resolves(
      list(
        ...["I1", "I2", "I3"].map((id) => invalidation(id, "Completed")),
        invalidation("I4", "InProgress"),
      ),
    );
    cf.on(ListInvalidationsCommand, { DistributionId: "EOTHER000001" }).resolves(
      list(invalidation("I5", "InProgress")),
    );
    const batches = [...done, fresh, other];
    const { store, engine } = setup(batches.map(opFor), batches);
    await engine.tick();
    const next = (id: string) => store.data.batches.find((b) => b.id === id)!.nextPollAt;
    // Sparse (a minute) while it cannot be done yet; a distribution with no history is asked densely.
    expect(next("fresh")).toBe(T0 + 60_000);
    expect(next("other")).toBe(T0 + 1000);
  });

  it("reports the outcome once, even when Slack first refuses", async () => {
    cf.on(ListInvalidationsCommand).resolves(list(invalidation("I1", "Completed")));
    const b = inFlight("x", "I1");
    const { store, announcer, engine } = setup([opFor(b)], [b]);
    announcer.failNext = "replyFinal";

    await engine.tick();
    await engine.tick();
    await engine.tick();

    expect(store.data.operations[0]).toMatchObject({ state: "completed", announced: { final: true } });
    expect(said(announcer, "replyFinal")).toHaveLength(1);
    expect(cf).toHaveReceivedCommandTimes(ListInvalidationsCommand, 1);
  });

  it("fails a purge CloudFront no longer knows instead of polling it forever", async () => {
    cf.on(ListInvalidationsCommand).resolves(list());
    cf.on(GetInvalidationCommand).rejects(
      Object.assign(new Error("gone"), { name: "NoSuchInvalidation", $metadata: {} }),
    );
    const b = inFlight("gone", "IGONE");
    const { store, engine } = setup([opFor(b)], [b]);
    await engine.tick();
    expect(store.data.operations[0]).toMatchObject({
      state: "failed",
      failure: { code: "invalidation-lost", awsCode: "NoSuchInvalidation" },
    });
    expect(failureText(store.data.operations[0]!)).toMatch(
      /^I lost track of it: .*no invalidation with this id/,
    );
  });
});

describe("crash safety", () => {
  it("re-sends a batch caught mid-send with the same CallerReference", async () => {
    cf.on(CreateInvalidationCommand).resolves({ Invalidation: invalidation("I1", "InProgress") });
    const batch: PurgeBatch = {
      version: 0,
      id: "crashed",
      distributionId: "E2EXAMPLE123",
      operationIds: ["op-1"],
      paths: ["/a"],
      callerReference: "cdnbot-crashed",
      state: "sending",
      openedAt: T0,
      sendAt: T0,
      attempts: 1,
    };
    const { store, engine } = setup([aPurge({ batchId: "crashed" })], [batch]);

    await engine.tick();

    expect(cf).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      InvalidationBatch: expect.objectContaining({ CallerReference: "cdnbot-crashed" }),
    });
    expect(store.data.operations[0]).toMatchObject({ state: "in-progress", invalidationId: "I1" });
  });

  it("batches a purge stored before a crash and opens its thread if it had none", async () => {
    cf.on(CreateInvalidationCommand).resolves({ Invalidation: invalidation("I1", "InProgress") });
    const { store, announcer, engine } = setup([aPurge({ messageTs: undefined })]);
    await engine.tick();
    expect(said(announcer, "postParent")).toHaveLength(1);
    expect(store.data.operations[0]).toMatchObject({ state: "in-progress", messageTs: "ts-op-1" });
  });
});

describe("pacing under the account's CreateInvalidation limit", () => {
  const sent = () => cf.commandCalls(CreateInvalidationCommand).map((c) => c.args[0].input.DistributionId);
  const on = (d: number, id: string) =>
    aPurge({ id, distributionId: `EDIST${d}00000000`, paths: [`/${id}`] });

  it("sends one invalidation per turn, tells the waiting threads where they stand, and coalesces meanwhile", async () => {
    cf.on(CreateInvalidationCommand).resolves({ Invalidation: invalidation("I1", "InProgress") });
    const { add, engine, advance, announcer, wakes } = setup(
      [],
      [],
      0,
      new CallPacer({ perSecond: 0.5, burst: 1 }),
    );
    // Three distributions asked at the same instant, in an account allowed one call every 2 s.
    await Promise.all([add(on(1, "a")), add(on(2, "b")), add(on(3, "c"))]);
    expect(sent()).toEqual(["EDIST100000000"]);
    await engine.sendDue();
    const notes = said(announcer, "replyNote").map((n) => `${n.opId}: ${n.note}`);
    expect(notes).toEqual([
      expect.stringMatching(/^b: Waiting for its turn: .* about 2 s\./),
      expect.stringMatching(/^c: Queued behind 1 invalidation in this AWS account .* about 4 s\./),
    ]);
    expect(wakes).toContain(T0 + 2000);
    // A purge asked while its distribution waits joins the waiting invalidation.
    await add(on(2, "b2"));
    advance(2000);
    await engine.sendDue();
    expect(sent()).toEqual(["EDIST100000000", "EDIST200000000"]);
    expect(
      cf.commandCalls(CreateInvalidationCommand)[1]!.args[0].input.InvalidationBatch?.Paths?.Items,
    ).toEqual(["/b", "/b2"]);
    advance(2000);
    await engine.sendDue();
    expect(sent()).toHaveLength(3);
    // Told once each: the later passes repeat nothing.
    expect(said(announcer, "replyNote")).toHaveLength(2);
  });

  it("slows down when AWS throttles anyway, instead of retrying into the limit", async () => {
    const pacer = new CallPacer({ perSecond: 1, burst: 1 });
    cf.on(CreateInvalidationCommand).rejects(
      Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } }),
    );
    const { add } = setup([], [], 0, pacer);
    await add(on(1, "a"));
    expect(pacer.rate("111111111111")).toBe(0.5);
    expect(pacer.peek("111111111111", T0)).toBe(2000);
  });
});
