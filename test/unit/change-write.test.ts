import {
  AccessDenied,
  CloudFrontClient,
  DisassociateDistributionWebACLCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  InvalidArgument,
  PreconditionFailed,
  UpdateDistributionCommand,
} from "@aws-sdk/client-cloudfront";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ApprovalAnnouncer } from "../../src/approvals/approval-announcer.js";
import { type ApprovalDeps, decide } from "../../src/approvals/approval-service.js";
import { acknowledgeReview, sweepReviews } from "../../src/approvals/break-glass.js";
import { effectivePolicy } from "../../src/approvals/policy.js";
import { createCloudFrontGateway } from "../../src/aws/cloudfront-gateway.js";
import type { ChangeAnnouncer } from "../../src/changes/change-announcer.js";
import { type ChangeDeps, changeWorkOf } from "../../src/changes/change-deps.js";
import { requestChange, requestRollback, startApprovedChange } from "../../src/changes/change-requests.js";
import { trackChanges } from "../../src/changes/deploy-tracker.js";
import { parseConfig } from "../../src/config/load-config.js";
import { DistributionDirectory } from "../../src/directory/distribution-directory.js";
import { NotInChannelError } from "../../src/errors.js";
import { silentLogger } from "../../src/logger.js";
import { changeNoteText } from "../../src/messages/change-messages.js";
import type { ChangeSpec } from "../../src/store/change-spec.js";
import { lowdbRecordStore } from "../../src/store/lowdb-record-store.js";
import { emptyStoreData } from "../../src/store/records.js";
import { StateStore } from "../../src/store/state-store.js";
import { CallPacer } from "../../src/tracking/call-pacer.js";
import { FinishTimes } from "../../src/tracking/status-pacing.js";
import { leaseOwnership } from "../../src/tracking/work-leases.js";
import { failureText } from "../../src/workflow/failures.js";
import { aDistributionConfig } from "../support/distribution-config.js";

const cf = mockClient(CloudFrontClient);
const meta = { $metadata: { requestId: "req-put" } };
const config = parseConfig("distributions:\n  web:\n    id: E2EXAMPLE123\n", "x");
const alice = { userId: "UALICE", teamId: "T1" };
const bob = { userId: "UBOB", teamId: "T1" };

function setup(cfg = config) {
  const store = StateStore.inMemory(emptyStoreData());
  let now = Date.UTC(2026, 10, 24, 12);
  const clock = () => now;
  const said: string[] = [];
  const changeAnnouncer: ChangeAnnouncer = {
    postParent: async () => "1.1",
    refreshParent: async () => {},
    replyWritten: async (op) => void said.push(`written ${op.id}`),
    replyFinal: async (op) => void said.push(`${op.state} ${op.id}: ${failureText(op) ?? ""}`),
    // As Slack would answer: the final reply is there once it was said.
    findFinal: async (op) => said.some((s) => s.startsWith(`${op.state} ${op.id}:`)),
    replyNote: async (_op, note) => void said.push(`note: ${changeNoteText(note)}`),
  };
  const approvalAnnouncer: ApprovalAnnouncer = {
    postRequest: async () => "2.2",
    findRequest: async () => undefined,
    refreshRequest: async () => {},
    noteDecision: async () => {},
    postReview: async (review) => {
      said.push(`review ${review.id}: ${review.reason}`);
      return "3.3";
    },
    findReview: async () => undefined,
    remindReview: async (review) => void said.push(`reminder ${review.id}`),
    settleReview: async (review, by) => void said.push(`reviewed ${review.id} by ${by.userId}`),
  };
  const approvals: ApprovalDeps = {
    records: lowdbRecordStore(store),
    clock,
    logger: silentLogger,
    announcer: approvalAnnouncer,
    membersOf: async () => [],
    policyFor: (alias) => effectivePolicy(cfg.policy, cfg.distributions[alias]?.policy),
    onApproved: (request) => startApprovedChange(deps, request),
  };
  const deps: ChangeDeps = {
    config: cfg,
    directory: new DistributionDirectory(cfg),
    records: lowdbRecordStore(store),
    cloudfront: createCloudFrontGateway(new CloudFrontClient({ region: "us-east-1" })),
    announcer: changeAnnouncer,
    approvals,
    membersOf: async () => [],
    clock,
    logger: silentLogger,
    newId: () => "CHANGE1",
    pollMs: 20_000,
  };
  const ask = async (
    text = "short TTL",
    spec: ChangeSpec = { kind: "ttl", behavior: "default", defaultTtl: 300 },
  ) => {
    await requestChange(deps, {
      distribution: "web",
      spec,
      actor: alice,
      channelId: "C1",
    });
    const request = store.data.approvals.at(-1)!;
    return {
      request,
      approve: () => decide(approvals, { requestId: request.id, actor: bob, verdict: "approve" }),
      text,
    };
  };
  return { store, said, deps, ask, advance: (ms: number) => (now += ms) };
}

const withTtl = (ttl: number) => {
  const c = aDistributionConfig();
  c.DefaultCacheBehavior!.DefaultTTL = ttl;
  return c;
};

beforeEach(() => cf.reset());

describe("a web ACL", () => {
  const ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/block-bots/a1b2c3d4";
  const detach: ChangeSpec = { kind: "web-acl", webAclArn: null };

  it("is taken away through CloudFront's web ACL API, with the ETag read just before", async () => {
    cf.on(GetDistributionConfigCommand).resolves({
      DistributionConfig: { ...aDistributionConfig(), WebACLId: ACL },
      ETag: "E-FRESH",
    });
    cf.on(DisassociateDistributionWebACLCommand).resolves({ ...meta, ETag: "E-NEW" });
    const { ask, store } = setup();
    await (await ask("detach", detach)).approve();
    expect(cf).toHaveReceivedCommandWith(DisassociateDistributionWebACLCommand, {
      Id: "E2EXAMPLE123",
      IfMatch: "E-FRESH",
    });
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(store.data.changes[0]).toMatchObject({ state: "deploying" });
  });

  it("is written with the whole config only where CloudFront refuses its web ACL API for it", async () => {
    cf.on(GetDistributionConfigCommand).resolves({
      DistributionConfig: { ...aDistributionConfig(), WebACLId: ACL },
      ETag: "E-FRESH",
    });
    cf.on(DisassociateDistributionWebACLCommand).rejects(
      Object.assign(new Error("not for this distribution"), { name: "UnsupportedOperation", $metadata: {} }),
    );
    cf.on(UpdateDistributionCommand).resolves({ ...meta, ETag: "E-NEW" });
    const { ask, store } = setup();
    await (await ask("detach", detach)).approve();
    const put = cf.commandCalls(UpdateDistributionCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ IfMatch: "E-FRESH", DistributionConfig: { WebACLId: "" } });
    expect(store.data.changes[0]).toMatchObject({ state: "deploying" });
  });

  it("fails in words when the distribution's pricing plan lacks the feature", async () => {
    cf.on(GetDistributionConfigCommand).resolves({
      DistributionConfig: { ...aDistributionConfig(), WebACLId: ACL },
      ETag: "E-FRESH",
    });
    cf.on(DisassociateDistributionWebACLCommand).rejects(
      Object.assign(new Error("plan"), {
        name: "WAFFeatureNotIncludedInPricingPlanException",
        $metadata: {},
      }),
    );
    const { ask, store } = setup();
    await (await ask("detach", detach)).approve();
    expect(store.data.changes[0]).toMatchObject({ state: "failed", failure: { code: "aws-refused" } });
    expect(failureText(store.data.changes[0]!)).toMatch(/pricing plan does not include this AWS WAF feature/);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
  });
});

describe("writing a change safely", () => {
  it("uses the ETag of a GET made after the approval, never the preview's", async () => {
    cf.on(GetDistributionConfigCommand)
      .resolvesOnce({ DistributionConfig: aDistributionConfig(), ETag: "E-PREVIEW" })
      .resolves({ DistributionConfig: aDistributionConfig(), ETag: "E-FRESH" });
    cf.on(UpdateDistributionCommand).resolves({ ...meta, ETag: "E-NEW", Distribution: undefined });
    const { ask, store } = setup();

    const { approve } = await ask();
    expect(cf).toHaveReceivedCommandTimes(GetDistributionConfigCommand, 1);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    await approve();

    expect(cf).toHaveReceivedCommandTimes(GetDistributionConfigCommand, 2);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
    const put = cf.commandCalls(UpdateDistributionCommand)[0]!.args[0].input;
    expect(put.IfMatch).toBe("E-FRESH");
    expect(put.DistributionConfig?.DefaultCacheBehavior?.DefaultTTL).toBe(300);
    expect(store.data.changes[0]).toMatchObject({ state: "deploying" });
    expect(store.data.audit).toContainEqual(
      expect.objectContaining({ type: "aws.UpdateDistribution", awsRequestId: "req-put", outcome: "ok" }),
    );
  });

  it("on PreconditionFailed reads again and re-applies once, when the touched fields are as previewed", async () => {
    cf.on(GetDistributionConfigCommand)
      .resolvesOnce({ DistributionConfig: aDistributionConfig(), ETag: "E1" })
      .resolvesOnce({ DistributionConfig: aDistributionConfig(), ETag: "E2" })
      .resolves({
        DistributionConfig: { ...aDistributionConfig(), Comment: "someone changed the comment" },
        ETag: "E3",
      });
    cf.on(UpdateDistributionCommand)
      .rejectsOnce(new PreconditionFailed({ message: "stale", $metadata: {} }))
      .resolves({ ETag: "E4" });
    const { ask, store } = setup();

    await (await ask()).approve();

    const puts = cf.commandCalls(UpdateDistributionCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.IfMatch)).toEqual(["E2", "E3"]);
    // The re-applied write keeps the other person's comment: only this change's fields are written.
    expect(puts[1]?.DistributionConfig).toMatchObject({
      Comment: "someone changed the comment",
      DefaultCacheBehavior: { DefaultTTL: 300 },
    });
    expect(store.data.changes[0]?.state).toBe("deploying");
  });

  it("stops after PreconditionFailed twice, writing nothing", async () => {
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: aDistributionConfig(), ETag: "E1" });
    cf.on(UpdateDistributionCommand).rejects(new PreconditionFailed({ message: "stale", $metadata: {} }));
    const { ask, store, said } = setup();
    await (await ask()).approve();
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 2);
    expect(store.data.changes[0]).toMatchObject({
      state: "failed",
      failure: { code: "etag-kept-changing", document: { kind: "distribution" } },
    });
    expect(said.at(-1)).toMatch(/The distribution kept changing while I wrote \(its ETag went stale twice\)/);
    expect(said.at(-1)).toMatch(/^failed/);
  });

  it("stops and says what differs when someone else changed the same field since the preview", async () => {
    cf.on(GetDistributionConfigCommand)
      .resolvesOnce({ DistributionConfig: aDistributionConfig(), ETag: "E1" })
      .resolves({ DistributionConfig: withTtl(600), ETag: "E2" });
    const { ask, store } = setup();
    await (await ask()).approve();
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(store.data.changes[0]?.failure?.code).toBe("changed-since-preview");
    expect(failureText(store.data.changes[0]!)).toMatch(
      /Someone else changed the same settings since the preview \(default behaviour · default TTL was 86400 in the preview and is 600 now\)\. Nothing was written/,
    );
  });

  it.each([
    [
      new InvalidArgument({ message: "The parameter DefaultTTL is invalid.", $metadata: {} }),
      /refused the request as invalid: The parameter DefaultTTL is invalid/,
    ],
    [new AccessDenied({ message: "no", $metadata: {} }), /not allowed to do this/],
  ])("fails in words on %s", async (error, words) => {
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: aDistributionConfig(), ETag: "E1" });
    cf.on(UpdateDistributionCommand).rejects(error);
    const { ask, store } = setup();
    await (await ask()).approve();
    expect(store.data.changes[0]).toMatchObject({ state: "failed", failure: { code: "aws-refused" } });
    expect(failureText(store.data.changes[0]!)).toMatch(words);
  });

  it("waits out throttling and writes on a later tick with a fresh ETag", async () => {
    cf.on(GetDistributionConfigCommand)
      .resolvesOnce({ DistributionConfig: aDistributionConfig(), ETag: "E1" })
      .resolvesOnce({ DistributionConfig: aDistributionConfig(), ETag: "E2" })
      .resolves({ DistributionConfig: aDistributionConfig(), ETag: "E3" });
    cf.on(UpdateDistributionCommand)
      .rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: {} }))
      .resolves({ ETag: "E4" });
    cf.on(GetDistributionCommand).resolves({
      Distribution: { Id: "E2EXAMPLE123", Status: "InProgress" } as never,
    });
    const { ask, store, deps, said } = setup();
    await (await ask()).approve();
    expect(store.data.changes[0]?.state).toBe("writing");
    expect(said).toContainEqual(expect.stringMatching(/^note: AWS is throttling/));

    await trackChanges(deps);
    expect(cf.commandCalls(UpdateDistributionCommand).map((c) => c.args[0].input.IfMatch)).toEqual([
      "E2",
      "E3",
    ]);
    expect(store.data.changes[0]?.state).toBe("deploying");
  });

  it("resolves a write that may have reached AWS by reading the change's own fields, and reports it once", async () => {
    // The PUT's connection dies: AWS may or may not have applied it. Reading again shows it did.
    cf.on(GetDistributionConfigCommand)
      .resolvesOnce({ DistributionConfig: aDistributionConfig(), ETag: "E1" })
      .resolvesOnce({ DistributionConfig: aDistributionConfig(), ETag: "E2" })
      .resolves({ DistributionConfig: withTtl(300), ETag: "E3" });
    cf.on(UpdateDistributionCommand).rejects(
      Object.assign(new Error("socket hang up"), { code: "ECONNRESET", $metadata: {} }),
    );
    cf.on(GetDistributionCommand).resolves({
      Distribution: { Id: "E2EXAMPLE123", Status: "Deployed" } as never,
    });
    const { ask, store, deps, said } = setup();
    await (await ask()).approve();
    expect(store.data.changes[0]).toMatchObject({ state: "writing", writeStartedAt: expect.any(Number) });

    await trackChanges(deps);
    await trackChanges(deps);

    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
    expect(said.filter((s) => s.startsWith("written"))).toHaveLength(1);
    expect(said.filter((s) => /nothing needed writing/.test(s))).toEqual([]);
    expect(said.filter((s) => s.startsWith("deployed"))).toHaveLength(1);
    expect(store.data.audit).toContainEqual(
      expect.objectContaining({
        type: "aws.UpdateDistribution",
        outcome: "ok",
        summary: expect.stringMatching(/reached AWS before a restart, confirmed by reading/),
      }),
    );
  });

  it("follows the distribution until Deployed, one GetDistribution per status interval, woken for each", async () => {
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: aDistributionConfig(), ETag: "E1" });
    cf.on(UpdateDistributionCommand).resolves({ ETag: "E2" });
    const { ask, store, deps, said, advance } = setup();
    const wakes: number[] = [];
    const finishTimes = new FinishTimes();
    deps.pace = { everyMs: 10_000, finishTimes, wakeAt: (at) => wakes.push(at) };
    // Asking reads the distribution's tags (GetDistribution for its ARN): counted from here on.
    const asked = await ask();
    cf.on(GetDistributionCommand)
      .resolvesOnce({ Distribution: { Id: "E2EXAMPLE123", Status: "InProgress" } as never })
      .resolvesOnce({ Distribution: { Id: "E2EXAMPLE123", Status: "InProgress" } as never })
      .resolves({ Distribution: { Id: "E2EXAMPLE123", Status: "Deployed" } as never });
    cf.resetHistory();
    await asked.approve();
    const written = store.data.changes[0]!.writtenAt!;

    await trackChanges(deps); // InProgress: asked again in 10 s, and the job woken then
    expect(store.data.changes[0]?.nextPollAt).toBe(written + 10_000);
    expect(wakes.at(-1)).toBe(written + 10_000);
    advance(5_000);
    await trackChanges(deps); // not due
    expect(cf).toHaveReceivedCommandTimes(GetDistributionCommand, 1);
    advance(5_000);
    await trackChanges(deps); // InProgress again: 10 s on from when this ask was due
    expect(store.data.changes[0]?.nextPollAt).toBe(written + 20_000);
    advance(10_000);
    await trackChanges(deps);

    expect(store.data.changes[0]?.state).toBe("deployed");
    expect(said.filter((s) => s.startsWith("deployed"))).toHaveLength(1);
    expect(cf).toHaveReceivedCommandTimes(GetDistributionCommand, 3);
    // Its deploy time is remembered for the next ones (three are needed before it is trusted).
    for (const ms of [300_000, 400_000]) finishTimes.record("E2EXAMPLE123", ms);
    expect(finishTimes.fastest("E2EXAMPLE123")).toBe(20_000);
  });

  it("writes at most CloudFront's pace per distribution; a change past it waits, its ETag read only at its turn", async () => {
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: aDistributionConfig(), ETag: "E1" });
    cf.on(UpdateDistributionCommand).resolves({ ETag: "E2" });
    cf.on(GetDistributionCommand).resolves({
      Distribution: { Id: "E2EXAMPLE123", Status: "InProgress" } as never,
    });
    const { ask, store, deps, advance, said } = setup();
    let n = 0;
    deps.newId = () => `CHANGE${++n}`;
    deps.writePacer = new CallPacer({ perSecond: 2 / 60, burst: 2 });
    const wakes: number[] = [];
    deps.pace = { everyMs: 10_000, finishTimes: new FinishTimes(), wakeAt: (at) => wakes.push(at) };
    const start = deps.clock();
    for (let i = 0; i < 3; i++) await (await ask()).approve();

    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 2);
    expect(store.data.changes.map((c) => c.state)).toEqual(["deploying", "deploying", "writing"]);
    // Three previews and two writes' fresh reads: the waiting change has read no ETag yet.
    expect(cf).toHaveReceivedCommandTimes(GetDistributionConfigCommand, 5);
    expect(wakes).toContain(start + 30_000);
    // Its thread is told once why it waits and for how long, however often it is looked at.
    await trackChanges(deps);
    const paced = said.filter((s) => s.includes("waits its turn"));
    expect(paced).toEqual([
      "note: CloudFront takes only a few changes a minute to one distribution, so this one waits its turn: it is written in about 30 s, from the settings read just before.",
    ]);
    advance(30_000);
    await trackChanges(deps);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 3);
    expect(store.data.changes[2]?.state).toBe("deploying");
    expect(said.filter((s) => s.includes("waits its turn"))).toHaveLength(1);
  });

  it("of two replicas, is written and followed by the one holding the distribution's lease", async () => {
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: aDistributionConfig(), ETag: "E1" });
    cf.on(UpdateDistributionCommand).resolves({ ETag: "E2" });
    cf.on(GetDistributionCommand).resolves({
      Distribution: { Id: "E2EXAMPLE123", Status: "InProgress" } as never,
    });
    const { ask, store, deps, advance } = setup();
    const a = leaseOwnership(deps.records, "replica-a", deps.clock);
    const b = leaseOwnership(deps.records, "replica-b", deps.clock);
    // Replica a is already following this distribution when the approval click lands on b.
    expect(await a.owns(changeWorkOf("E2EXAMPLE123"))).toBe(true);
    const onA: ChangeDeps = { ...deps, owns: (work) => a.owns(work) };
    deps.owns = (work) => b.owns(work);

    await (await ask()).approve();
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(store.data.changes[0]?.state).toBe("writing");

    // The same tick on both: a writes it, once.
    await Promise.all([trackChanges(onA), trackChanges(deps)]);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 1);
    expect(store.data.changes[0]?.state).toBe("deploying");

    // Following the deploy: one GetDistribution a tick, from a.
    advance(20_000);
    cf.resetHistory();
    await Promise.all([trackChanges(onA), trackChanges(deps)]);
    expect(cf).toHaveReceivedCommandTimes(GetDistributionCommand, 1);
  });

  it("writes two changes to one distribution one after the other, never interleaved", async () => {
    let inFlight = 0;
    let overlapped = false;
    cf.on(GetDistributionConfigCommand).callsFake(async () => {
      inFlight++;
      if (inFlight > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 20));
      return { DistributionConfig: aDistributionConfig(), ETag: "E1" };
    });
    cf.on(UpdateDistributionCommand).callsFake(async () => {
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return { ETag: "E2" };
    });
    const { store, deps } = setup();
    await requestChange(deps, {
      distribution: "web",
      spec: { kind: "comment", comment: "one" },
      actor: alice,
      channelId: "C1",
    });
    await requestChange(deps, {
      distribution: "web",
      spec: { kind: "enabled", enabled: false },
      actor: alice,
      channelId: "C1",
    });
    inFlight = 0;
    overlapped = false;
    const [first, second] = store.data.approvals;
    await Promise.all([
      decide(deps.approvals, { requestId: first!.id, actor: bob, verdict: "approve" }),
      decide(deps.approvals, { requestId: second!.id, actor: bob, verdict: "approve" }),
    ]);
    expect(cf).toHaveReceivedCommandTimes(UpdateDistributionCommand, 2);
    expect(overlapped).toBe(false);
  });

  it("proposes the inverse of a change as a rollback", async () => {
    cf.on(GetDistributionConfigCommand)
      .resolvesOnce({ DistributionConfig: aDistributionConfig(), ETag: "E1" })
      .resolvesOnce({ DistributionConfig: aDistributionConfig(), ETag: "E2" })
      .resolves({ DistributionConfig: withTtl(300), ETag: "E3" });
    cf.on(UpdateDistributionCommand).resolves({ ETag: "E9" });
    const { ask, store, deps } = setup();
    await (await ask()).approve();
    const changeId = store.data.changes[0]!.id;

    await requestRollback(deps, changeId, alice, "C1");

    const rollback = store.data.approvals.at(-1)!;
    expect(rollback.payload).toMatchObject({
      kind: "change",
      spec: { kind: "rollback", of: changeId },
      diffs: [{ label: "default behaviour · default TTL", before: 300, after: 86_400 }],
    });
  });
});

describe("a change that needs no approval", () => {
  it("is withdrawn when its thread cannot be posted, so the scheduler never writes it", async () => {
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: aDistributionConfig(), ETag: "E1" });
    cf.on(UpdateDistributionCommand).resolves({ ...meta, ETag: "E2" });
    const { deps, store } = setup();
    const open = parseConfig(
      "distributions:\n  web:\n    id: E2EXAMPLE123\n    policy:\n      requireApprovalFor: []\n",
      "x",
    );
    const blocked = {
      ...deps,
      config: open,
      directory: new DistributionDirectory(open),
      approvals: {
        ...deps.approvals,
        policyFor: (alias: string) => effectivePolicy(open.policy, open.distributions[alias]?.policy),
      },
      announcer: {
        ...deps.announcer,
        postParent: async () => {
          throw new NotInChannelError("not_in_channel", "C1");
        },
      },
    };

    const refusal = requestChange(blocked, {
      distribution: "web",
      spec: { kind: "ttl", behavior: "default", defaultTtl: 300 },
      actor: alice,
      channelId: "C1",
    });

    await expect(refusal).rejects.toMatchObject({ channelId: "C1", consequence: "Nothing was sent to AWS." });
    await trackChanges(blocked);
    expect(store.data.changes).toEqual([]);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
  });
});

describe("break-glass", () => {
  const glass = parseConfig(
    [
      "policy:",
      "  approvers:",
      "    users: [UBOB]",
      "  breakGlass:",
      "    users: [UALICE]",
      "distributions:",
      "  web:",
      "    id: E2EXAMPLE123",
      "",
    ].join("\n"),
    "x",
  );
  const ttl: ChangeSpec = { kind: "ttl", behavior: "default", defaultTtl: 0 };

  it("runs a change that needs approval at once for a person the policy names, opens a review and marks the audit", async () => {
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: withTtl(86400), ETag: "E1" });
    cf.on(UpdateDistributionCommand).resolves({ ...meta, ETag: "E2" });
    const { store, said, deps } = setup(glass);
    const answer = await requestChange(deps, {
      distribution: "web",
      spec: ttl,
      actor: alice,
      channelId: "C1",
      breakGlass: "origin melting, INC-231",
    });
    expect(answer).toMatch(/being written now, without approval \(break-glass\)/);
    expect(store.data.approvals).toEqual([]);
    expect(cf).toHaveReceivedCommandWith(UpdateDistributionCommand, { IfMatch: "E1" });
    expect(store.data.changes[0]).toMatchObject({
      breakGlass: { reason: "origin melting, INC-231" },
      reason: "origin melting, INC-231",
    });
    expect(store.data.reviews).toEqual([
      expect.objectContaining({ id: "CHANGE1", reason: "origin melting, INC-231", messageTs: "3.3" }),
    ]);
    expect(said).toContain("review CHANGE1: origin melting, INC-231");
    const marked = store.data.audit.find((e) => e.type === "change.break-glass");
    expect(marked).toMatchObject({
      requestId: "CHANGE1",
      actor: alice,
      details: { reason: "origin melting, INC-231" },
    });
  });

  it("is refused to people the policy does not name, and to clients whatever it says, sending nothing", async () => {
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: withTtl(86400), ETag: "E1" });
    const { store, deps } = setup(glass);
    const ask = (actor: { userId: string; teamId: string }) =>
      requestChange(deps, { distribution: "web", spec: ttl, actor, channelId: "C1", breakGlass: "hurry" });
    await expect(ask(bob)).rejects.toThrow(
      /You may not break glass on `web`: only user UALICE may break glass on it/,
    );
    await expect(ask({ userId: "agent:helper", teamId: "T1" })).rejects.toThrow(
      /API clients and agents wait for approval/,
    );
    const unset = setup(config);
    await expect(
      requestChange(unset.deps, {
        distribution: "web",
        spec: ttl,
        actor: alice,
        channelId: "C1",
        breakGlass: "x",
      }),
    ).rejects.toThrow(/its policy names nobody who may break glass/);
    expect(cf).not.toHaveReceivedCommand(UpdateDistributionCommand);
    expect(store.data.changes).toEqual([]);
    expect(store.data.reviews).toEqual([]);
  });

  it("stays open until an approver other than the requester acknowledges it, reminded once a day", async () => {
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: withTtl(86400), ETag: "E1" });
    cf.on(UpdateDistributionCommand).resolves({ ...meta, ETag: "E2" });
    const { store, said, deps, advance } = setup(glass);
    await requestChange(deps, {
      distribution: "web",
      spec: ttl,
      actor: alice,
      channelId: "C1",
      breakGlass: "INC-7",
    });

    advance(23 * 3_600_000);
    await sweepReviews(deps.approvals);
    expect(said.filter((s) => s.startsWith("reminder"))).toEqual([]);
    advance(3_600_000);
    await sweepReviews(deps.approvals);
    await sweepReviews(deps.approvals);
    expect(said.filter((s) => s.startsWith("reminder"))).toEqual(["reminder CHANGE1"]);

    await expect(acknowledgeReview(deps.approvals, { reviewId: "CHANGE1", actor: alice })).rejects.toThrow(
      /You broke glass for change CHANGE1, so you cannot review it/,
    );
    const carol = { userId: "UCAROL", teamId: "T1" };
    await expect(acknowledgeReview(deps.approvals, { reviewId: "CHANGE1", actor: carol })).rejects.toThrow(
      /not an approver/,
    );
    expect(store.data.reviews).toHaveLength(1);
    await expect(acknowledgeReview(deps.approvals, { reviewId: "CHANGE1", actor: bob })).resolves.toMatch(
      /You acknowledged break-glass change CHANGE1/,
    );
    expect(store.data.reviews).toEqual([]);
    expect(said).toContain("reviewed CHANGE1 by UBOB");
    expect(store.data.audit.find((e) => e.type === "break-glass.reviewed")).toMatchObject({
      actor: bob,
      requestId: "CHANGE1",
    });
    await expect(acknowledgeReview(deps.approvals, { reviewId: "CHANGE1", actor: bob })).rejects.toThrow(
      /no open break-glass review/,
    );
    advance(2 * 86_400_000);
    await sweepReviews(deps.approvals);
    expect(said.filter((s) => s.startsWith("reminder"))).toHaveLength(1);
  });

  it("is acknowledged once when many clicks land at the same instant", async () => {
    cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: withTtl(86400), ETag: "E1" });
    cf.on(UpdateDistributionCommand).resolves({ ...meta, ETag: "E2" });
    const { store, said, deps } = setup(glass);
    await requestChange(deps, {
      distribution: "web",
      spec: ttl,
      actor: alice,
      channelId: "C1",
      breakGlass: "INC-8",
    });
    const clicks = await Promise.allSettled(
      Array.from({ length: 8 }, () => acknowledgeReview(deps.approvals, { reviewId: "CHANGE1", actor: bob })),
    );
    expect(clicks.filter((c) => c.status === "fulfilled")).toHaveLength(1);
    for (const c of clicks)
      if (c.status === "rejected")
        expect(String(c.reason)).toMatch(/no open break-glass review|just acknowledged by someone else/);
    expect(store.data.reviews).toEqual([]);
    expect(store.data.audit.filter((e) => e.type === "break-glass.reviewed")).toHaveLength(1);
    expect(said.filter((s) => s.startsWith("reviewed CHANGE1"))).toHaveLength(1);
  });
});
