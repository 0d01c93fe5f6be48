import { describe, expect, it } from "vitest";
import { judgeSoak } from "../../src/changes/staged-gate.js";
import { stagedTransition } from "../../src/changes/staged-machine.js";
import { parseCdnCommand, UsageError } from "../../src/commands/parse-cdn-command.js";
import type { ChangeOperation } from "../../src/store/records.js";

describe("--staged on a change", () => {
  it.each([
    ["ttl web default=600 --staged 5%", { weight: 0.05 }],
    ["price-class web 200 --staged 15%", { weight: 0.15 }],
    ["root-object web home.html --staged 0.5%", { weight: 0.005 }],
    [
      "geo web block KP --staged header=aws-cf-cd-canary:on",
      { header: { name: "aws-cf-cd-canary", value: "on" } },
    ],
  ])("%s", (text, staged) => {
    expect(parseCdnCommand(text)).toMatchObject({ verb: "change", distribution: "web", staged });
  });

  it("is taken out of the words a change keeps as typed (a comment, a key's value)", () => {
    expect(parseCdnCommand("comment web Launch day --staged 5% for real")).toEqual({
      verb: "change",
      distribution: "web",
      spec: { kind: "comment", comment: "Launch day for real" },
      staged: { weight: 0.05 },
    });
  });

  it.each([
    ["ttl web default=600 --staged 16%", /at most 15% of requests; `16%` is not that/],
    ["ttl web default=600 --staged 0%", /more than 0% and at most 15%/],
    ["ttl web default=600 --staged", /takes a share of requests such as `5%`/],
    ["ttl web default=600 --staged half", /takes a share of requests such as `5%`/],
    ["ttl web default=600 --staged header=x-canary:1", /whose name starts with `aws-cf-cd-`/],
    ["ttl web default=600 --staged header=aws-cf-cd-a:", /takes a share/],
    ["config web --staged 5%", /`--staged` goes with a change/],
    ["rollback R7K2M9Q --staged 5%", /`--staged` goes with a change/],
  ])("refuses %s", (text, message) => {
    expect(() => parseCdnCommand(text)).toThrow(UsageError);
    expect(() => parseCdnCommand(text)).toThrow(message);
  });

  it("reads promote and abort, an abort's reason as typed", () => {
    expect(parseCdnCommand("promote R7K2M9Q")).toEqual({ verb: "promote", changeId: "R7K2M9Q" });
    expect(parseCdnCommand("abort R7K2M9Q  error pages  look wrong")).toEqual({
      verb: "abort",
      changeId: "R7K2M9Q",
      reason: "error pages  look wrong",
    });
    expect(() => parseCdnCommand("promote")).toThrow(/Tell me which change to promote/);
  });
});

const minute = (n: number) => n * 60_000;
const series = (...values: number[]) => values.map((value, i) => ({ at: minute(i + 1), value }));
const settings = { breachDatapoints: 2, max5xxIncrease: 1, max4xxIncrease: 5, maxLatencyRatio: 1.5 };

describe("the soak's gate, staging against primary", () => {
  it("lets one bad minute pass, and pulls back after two in a row", () => {
    const primary = { "5xxErrorRate": series(0.1, 0.1, 0.1) };
    expect(
      judgeSoak({ "5xxErrorRate": series(0.2, 9, 0.3) }, primary, settings, minute(4)).breach,
    ).toBeUndefined();
    expect(
      judgeSoak({ "5xxErrorRate": series(0.2, 0.3, 9) }, primary, settings, minute(4)).breach,
    ).toBeUndefined();
    expect(judgeSoak({ "5xxErrorRate": series(0.2, 9, 9) }, primary, settings, minute(4)).breach).toBe(
      "the staging 5xx rate was 9.00% against the primary's 0.10% (more than 1 point worse for 2 minutes in a row)",
    );
  });

  it("compares with the primary, not with a fixed line: both bad is not the change's doing", () => {
    const both = { "5xxErrorRate": series(8, 8, 8) };
    expect(judgeSoak(both, both, settings, minute(4)).breach).toBeUndefined();
  });

  it("counts a minute the primary published nothing for as no errors", () => {
    const verdict = judgeSoak({ "4xxErrorRate": series(7, 7) }, {}, settings, minute(3));
    expect(verdict.breach).toMatch(/the staging 4xx rate was 7\.00% against the primary's 0\.00%/);
  });

  it("pulls back on origin latency past the ratio, and shows the latest figures side by side", () => {
    const verdict = judgeSoak(
      { OriginLatency: series(400, 420), "5xxErrorRate": series(0.5, 0.4) },
      { OriginLatency: series(200, 210), "5xxErrorRate": series(0.3, 0.2) },
      settings,
      minute(3),
    );
    expect(verdict.breach).toMatch(
      /origin latency was 420 ms against the primary's 210 ms \(more than 1\.5×/,
    );
    expect(verdict.figures).toEqual({
      at: minute(3),
      "5xxErrorRate": { staging: 0.4, primary: 0.2 },
      "4xxErrorRate": {},
      OriginLatency: { staging: 420, primary: 210 },
    });
  });

  it("says nothing before it has the minutes it needs", () => {
    expect(judgeSoak({ "5xxErrorRate": series(50) }, {}, settings, minute(2)).breach).toBeUndefined();
  });
});

function aStagedChange(overrides: Partial<ChangeOperation> = {}): ChangeOperation {
  return {
    version: 3,
    id: "R7K2M9Q",
    alias: "web",
    distributionId: "E2EXAMPLE123",
    spec: { kind: "price-class", priceClass: "PriceClass_200" },
    diffs: [{ path: "PriceClass", label: "price class", before: "PriceClass_100", after: "PriceClass_200" }],
    summary: "price class: PriceClass_100 → PriceClass_200",
    requestedBy: { userId: "UALICE", teamId: "T1" },
    channelId: "C1",
    messageTs: "1.2",
    state: "staged",
    requestedAt: 0,
    told: [],
    announced: { written: false, final: false },
    staged: {
      traffic: { weight: 0.05 },
      phase: "deploying",
      stagingId: "E3STAGING",
      stagingDomain: "d1.cloudfront.net",
      stagingWrittenAt: 1,
      policyId: "cdp-1",
      attachedAt: 2,
    },
    ...overrides,
  };
}

describe("a staged change's machine", () => {
  const bob = { userId: "UBOB", teamId: "T1" };

  it("promotes only what has served its share; an abort or a breach may come while it deploys", () => {
    const deploying = aStagedChange();
    expect(
      stagedTransition(deploying, { type: "decided", verdict: { kind: "promote", at: 5, by: bob } }, 5),
    ).toBeUndefined();
    const aborted = stagedTransition(
      deploying,
      { type: "decided", verdict: { kind: "abort", at: 5, by: bob } },
      5,
    );
    expect(aborted?.change.staged?.phase).toBe("pulling-back");
    expect(aborted?.audit.map((a) => a.type)).toEqual(["change.abort"]);
  });

  it("soaks once both are Deployed, then waits for a person, or promotes where the config says so", () => {
    const soaking = stagedTransition(aStagedChange(), { type: "both-deployed", soakUntil: 900 }, 10)!.change;
    expect(soaking.staged).toMatchObject({ phase: "soaking", soakUntil: 900 });
    expect(stagedTransition(soaking, { type: "soak-passed", auto: false }, 900)?.change.staged?.phase).toBe(
      "awaiting-promotion",
    );
    const auto = stagedTransition(soaking, { type: "soak-passed", auto: true }, 900)!.change;
    expect(auto.staged).toMatchObject({
      phase: "promoting",
      verdict: { kind: "promote", reason: "soak passed" },
    });
  });

  it("is the primary's once promoted: written then, so it can be rolled back", () => {
    const promoting = aStagedChange({ staged: { ...aStagedChange().staged!, phase: "promoting" } });
    const step = stagedTransition(promoting, { type: "promoted", awsRequestId: "req-1" }, 50)!;
    expect(step.change).toMatchObject({ state: "deploying", writtenAt: 50 });
    expect(step.audit[0]).toMatchObject({
      type: "aws.UpdateDistributionWithStagingConfig",
      awsRequestId: "req-1",
    });
    expect(stagedTransition(step.change, { type: "promoted" }, 60)).toBeUndefined();
  });

  it("ends pulled back as a failure that says why, the primary never written", () => {
    const breach = { kind: "breach" as const, at: 5, reason: "the staging 5xx rate was 9.00%" };
    const pulling = stagedTransition(
      aStagedChange({ staged: { ...aStagedChange().staged!, phase: "soaking" } }),
      { type: "decided", verdict: breach },
      5,
    )!.change;
    const ended = stagedTransition(pulling, { type: "pulled-back" }, 6)!;
    expect(ended.change).toMatchObject({
      state: "failed",
      failure: { code: "staged-pulled-back", because: "breach", detail: "the staging 5xx rate was 9.00%" },
    });
    expect(ended.change.writtenAt).toBeUndefined();
    expect(ended.effects).toEqual([{ type: "finish" }]);
  });

  it("is not promoted when the primary or the copy changed since: pulled back, saying which settings", () => {
    const promoting = aStagedChange({ staged: { ...aStagedChange().staged!, phase: "promoting" } });
    const diverged = stagedTransition(
      promoting,
      { type: "diverged", fields: ["Comment", "PriceClass"] },
      7,
    )!.change;
    expect(stagedTransition(diverged, { type: "pulled-back" }, 8)?.change.failure).toEqual({
      code: "staging-diverged",
      fields: ["Comment", "PriceClass"],
    });
  });
});
