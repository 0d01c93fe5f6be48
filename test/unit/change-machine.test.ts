import { describe, expect, it } from "vitest";
import { changeTransition } from "../../src/changes/change-machine.js";
import type { ChangeOperation } from "../../src/store/records.js";

const NOW = Date.UTC(2026, 10, 25, 12);

const writing = (overrides: Partial<ChangeOperation> = {}): ChangeOperation => ({
  version: 1,
  id: "RCHANGE",
  alias: "web",
  distributionId: "E2EXAMPLE123",
  spec: { kind: "comment", comment: "hello" },
  diffs: [{ path: "distribution.Comment", label: "comment", before: "", after: "hello" }],
  summary: "comment: (none) → hello",
  requestedBy: { userId: "UALICE", teamId: "T1" },
  channelId: "C1",
  messageTs: "1.1",
  state: "writing",
  requestedAt: NOW - 1000,
  told: [],
  announced: { written: false, final: false },
  ...overrides,
});

describe("the change state machine", () => {
  it("stores the intent once, before the write", () => {
    const started = changeTransition(writing(), { type: "write-started" }, NOW);
    expect(started?.change.writeStartedAt).toBe(NOW);
    expect(changeTransition(started!.change, { type: "write-started" }, NOW + 1)).toBeUndefined();
  });

  it("records the write with AWS's request id and tells the thread once", () => {
    const written = changeTransition(
      writing(),
      { type: "written", proof: { kind: "answered", awsRequestId: "req-9" } },
      NOW,
    );
    expect(written).toMatchObject({
      change: { state: "deploying", writtenAt: NOW, announced: { written: true } },
      audit: [{ type: "aws.UpdateDistribution", awsRequestId: "req-9", outcome: "ok" }],
      effects: [{ type: "reply-written" }, { type: "refresh-parent" }],
    });
    // After a restart the write is found done again: the thread is not told twice.
    const told = writing({ announced: { written: true, final: false } });
    expect(
      changeTransition(told, { type: "written", proof: { kind: "confirmed-after-restart" } }, NOW),
    ).toMatchObject({
      audit: [{ summary: expect.stringContaining("confirmed by reading the distribution's fields") }],
      effects: [{ type: "refresh-parent" }],
    });
  });

  it("says a retry is coming once per AWS error code", () => {
    const note = {
      code: "retrying",
      awsCode: "Throttling",
      explanation: "CloudFront is throttling.",
    } as const;
    const first = changeTransition(writing(), { type: "transient", note }, NOW);
    expect(first).toMatchObject({
      change: { told: ["retrying:Throttling"] },
      effects: [{ type: "reply-note", note }],
    });
    expect(changeTransition(first!.change, { type: "transient", note }, NOW)).toBeUndefined();
  });

  it("fails or deploys once, each with its audit entry and the final reply", () => {
    const failure = { code: "policy-name-taken", name: "strict" } as const;
    expect(changeTransition(writing(), { type: "failed", failure }, NOW)).toMatchObject({
      change: { state: "failed", failure, finishedAt: NOW },
      audit: [
        {
          type: "change.failed",
          outcome: "error",
          summary: expect.stringContaining("Someone made a response headers policy named strict"),
        },
      ],
      effects: [{ type: "finish" }],
    });
    const deploying = writing({ state: "deploying", writtenAt: NOW - 60_000 });
    const deployed = changeTransition(deploying, { type: "deployed" }, NOW);
    expect(deployed).toMatchObject({ change: { state: "deployed" }, effects: [{ type: "finish" }] });
    expect(changeTransition(deployed!.change, { type: "deployed" }, NOW)).toBeUndefined();
    expect(changeTransition(deployed!.change, { type: "failed", failure }, NOW)).toBeUndefined();
  });
});

describe("the audit entry of a change's write", () => {
  const typeOf = (overrides: Partial<ChangeOperation>) =>
    changeTransition(writing(overrides), { type: "written", proof: { kind: "answered" } }, NOW)?.audit[0]
      ?.type;

  it("names the AWS call that wrote it, whatever the change writes", () => {
    expect(typeOf({})).toBe("aws.UpdateDistribution");
    expect(
      typeOf({
        diffs: [{ path: "distribution.WebACLId", label: "web ACL", before: "", after: "arn:aws:wafv2:x" }],
      }),
    ).toBe("aws.AssociateDistributionWebACL");
    expect(
      typeOf({
        tenant: { name: "acme", id: "DT1" },
        diffs: [
          { path: "tenant.WebACLArn", label: "tenant · web ACL", before: "arn:aws:wafv2:x", after: "" },
        ],
      }),
    ).toBe("aws.DisassociateDistributionTenantWebACL");
    expect(
      typeOf({
        tenant: { name: "acme", id: "DT1" },
        diffs: [{ path: "tenant.Enabled", label: "tenant · enabled", before: true, after: false }],
      }),
    ).toBe("aws.UpdateDistributionTenant");
    expect(
      typeOf({
        policy: { kind: "cache", id: "P1", name: "team", usedBy: [], distributionIds: [] },
      }),
    ).toBe("aws.UpdateCachePolicy");
    expect(typeOf({ keyValueStore: { arn: "arn:aws:cloudfront::1:key-value-store/k" } })).toBe(
      "aws.UpdateKeys",
    );
  });
});
