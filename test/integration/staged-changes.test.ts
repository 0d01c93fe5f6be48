import {
  GetContinuousDeploymentPolicyConfigCommand,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
} from "@aws-sdk/client-cloudfront";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashToken, mintToken } from "../../src/api/api-clients.js";
import { putDistributionMetric, testBedCloudWatch } from "../support/cloudwatch-data.js";
import type { RecordedCall } from "../support/fake-slack.js";
import { requestIdIn, text } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

/**
 * Staged changes end to end: the real bot, signed Slack requests, CloudFront's continuous
 * deployment served by the strict layer's model, CloudWatch by moto. A change goes to a staging
 * copy, serves its share, is compared with the primary, and is promoted or pulled back.
 */
const APPROVE = "approval_approve";
const AGENT = mintToken();
const CHANNEL = "CSTAGE";
let bed: TestBed;
let cloudwatch: CloudWatchClient;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 300, deployAfterMs: 800 },
    otherDistributions: ["shop"],
    extraConfig: (_web, others) =>
      [
        `    channel: ${CHANNEL}`,
        `  shop:\n    id: ${others.shop?.id}`,
        "staging:",
        "  soak: 2s",
        "  checkEvery: 300ms",
        "api:",
        "  clients:",
        "    release-agent:",
        `      tokenHash: ${hashToken(AGENT)}`,
        "      distributions: [web]",
        "      actions: [change]",
        "",
      ].join("\n"),
  });
  cloudwatch = testBedCloudWatch(bed.strict.url);
});
afterAll(async () => {
  cloudwatch?.destroy();
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
});

async function configOf(id: string) {
  return (await bed.cloudfront.send(new GetDistributionConfigCommand({ Id: id }))).DistributionConfig!;
}

/** web's staging copy: the one its continuous deployment policy names (one copy, reused). */
async function stagingId(): Promise<string> {
  const policyId = (await configOf(bed.web.id)).ContinuousDeploymentPolicyId!;
  const policy = await bed.cloudfront.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }));
  const domain = policy.ContinuousDeploymentPolicyConfig?.StagingDistributionDnsNames?.Items?.[0];
  const list = await bed.cloudfront.send(new ListDistributionsCommand({}));
  const staging = (list.DistributionList?.Items ?? []).filter((d) => d.Staging && d.DomainName === domain);
  expect(staging).toHaveLength(1);
  return staging[0]!.Id!;
}

/** Error rates for a distribution, the last three whole minutes, as CloudFront publishes them. */
const rates = (distributionId: string, metric: "5xxErrorRate" | "4xxErrorRate", value: number) => {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  return putDistributionMetric(
    cloudwatch,
    distributionId,
    metric,
    [3, 2, 1].map((ago) => [minute - ago * 60_000, value]),
    "Percent",
  );
};

const inThread = (ts: string, pattern: RegExp) => (c: { thread_ts?: unknown; text?: unknown }) =>
  c.thread_ts === ts && pattern.test(String(c.text));

/** Asks for a staged change as UALICE, approves it as UBOB, waits until the staging copy serves. */
async function stageAndApprove(command: string, preview: RegExp) {
  await bed.command(command, { userId: "UALICE", channelId: CHANNEL });
  const request = await bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.channel === CHANNEL && /Pending approval/.test(String(b.text)),
  );
  expect(text(request)).toMatch(preview);
  const id = requestIdIn(text(request));
  const ts = String(request.response?.ts);
  await bed.click(APPROVE, id, { userId: "UBOB", messageTs: ts, channelId: CHANNEL });
  await bed.fake.waitForCall(
    "chat.postMessage",
    inThread(ts, /The staging copy serves its share now/),
    20_000,
  );
  return { id, ts };
}

const repliesIn = (ts: string, pattern: RegExp): RecordedCall[] =>
  bed.fake.callsTo("chat.postMessage").filter((c) => inThread(ts, pattern)(c.body));

describe("a staged change", () => {
  it("soaks beside the primary, is promoted by a second person, and only then is the primary's", async () => {
    const before = await configOf(bed.web.id);
    const { id, ts } = await stageAndApprove(
      "ttl web default=600 --staged 5%",
      /default TTL 86400 → 600.*staged first: 5% of requests/s,
    );
    const staging = await stagingId();
    // AWS's managed policy cannot change: the staging copy's behaviour points at a copy with the new
    // TTL; the primary keeps the managed one, and only gains the policy that sends the copy 5 %.
    const copy = bed.strict.cachePolicyNamed(`CachingOptimized-cdnbot-${id}`)!;
    expect(bed.strict.cachePolicyTtls(copy)?.default).toBe(600);
    expect((await configOf(staging)).DefaultCacheBehavior?.CachePolicyId).toBe(copy);
    const primary = await configOf(bed.web.id);
    expect(primary.DefaultCacheBehavior?.CachePolicyId).toBe(before.DefaultCacheBehavior?.CachePolicyId);
    const policyId = primary.ContinuousDeploymentPolicyId!;
    const policy = await bed.cloudfront.send(
      new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }),
    );
    expect(policy.ContinuousDeploymentPolicyConfig).toMatchObject({
      Enabled: true,
      TrafficConfig: { Type: "SingleWeight", SingleWeightConfig: { Weight: 0.05 } },
    });
    expect(bed.strict.counts()).toMatchObject({ CopyDistribution: 1, CreateContinuousDeploymentPolicy: 1 });

    // Both sides healthy: the thread's message shows them side by side.
    await Promise.all([rates(staging, "5xxErrorRate", 0.1), rates(bed.web.id, "5xxErrorRate", 0.1)]);
    await bed.fake.waitForCall(
      "chat.update",
      (b) => b.ts === ts && /5xx 0\.10% vs 0\.10%/.test(JSON.stringify(b.blocks)),
      10_000,
    );
    await bed.fake.waitForCall("chat.postMessage", inThread(ts, /The soak passed/), 10_000);
    expect(bed.strict.counts().UpdateDistributionWithStagingConfig ?? 0).toBe(0);

    // Four eyes: the requester does not promote their own change.
    const own = await bed.command(`promote ${id}`, { userId: "UALICE", channelId: CHANNEL });
    expect(await own.reply()).toMatch(/You asked for this, so you cannot approve it/);
    const promoted = await bed.command(`promote ${id}`, { userId: "UBOB", channelId: CHANNEL });
    expect(await promoted.reply()).toMatch(new RegExp(`Promoting change ${id}`));
    await bed.fake.waitForCall("chat.postMessage", inThread(ts, /is Deployed on web/), 20_000);

    expect((await configOf(bed.web.id)).DefaultCacheBehavior?.CachePolicyId).toBe(copy);
    const promotion = bed.strict.requests.filter(
      (r) => r.operation === "UpdateDistributionWithStagingConfig",
    );
    expect(promotion).toHaveLength(1);
    // Both ETags, read just before: the primary's, then the staging copy's.
    expect(promotion[0]!.ifMatch).toMatch(/^\w+, \w+$/);
    const off = await bed.cloudfront.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }));
    expect(off.ContinuousDeploymentPolicyConfig?.Enabled).toBe(false);
    expect(repliesIn(ts, /Promoted: the primary has the staging copy's config/)).toHaveLength(1);
  }, 60_000);

  it("is refused where CloudFront cannot stage it, and one at a time; an abort takes it back", async () => {
    const tooMuch = await bed.command("ttl web default=60 --staged 20%", {
      userId: "UALICE",
      channelId: CHANNEL,
    });
    expect(await tooMuch.reply()).toMatch(/at most 15% of requests; `20%` is not that/);
    const notAChange = await bed.command("config web --staged 5%", { userId: "UALICE", channelId: CHANNEL });
    expect(await notAChange.reply()).toMatch(/`--staged` goes with a change/);

    const { id, ts } = await stageAndApprove(
      "root-object web home.html --staged 2%",
      /staged first: 2% of requests/,
    );
    const second = await bed.command("price-class web 200 --staged 5%", {
      userId: "UALICE",
      channelId: CHANNEL,
    });
    expect(await second.reply()).toMatch(
      new RegExp(`Change ${id} is staged on \`web\`.*one staged change at a time`),
    );
    const beside = await bed.command("price-class web 200", { userId: "UALICE", channelId: CHANNEL });
    expect(await beside.reply()).toMatch(
      /a promotion puts the staging copy's whole config on the distribution/,
    );

    const aborted = await bed.command(`abort ${id} the new root page 404s`, {
      userId: "UALICE",
      channelId: CHANNEL,
    });
    expect(await aborted.reply()).toMatch(new RegExp(`Aborting change ${id}`));
    const final = await bed.fake.waitForCall("chat.postMessage", inThread(ts, /Failed: Aborted/), 10_000);
    expect(text(final)).toMatch(/asked by a person: the new root page 404s/);
    expect((await configOf(bed.web.id)).DefaultRootObject).toBe("index.html");
    expect(bed.strict.counts().UpdateDistributionWithStagingConfig ?? 0).toBe(0);
  }, 60_000);

  it("killed during the promotion: promoted once, told Deployed once", async () => {
    const { id, ts } = await stageAndApprove(
      "price-class web All --staged 5%",
      /staged first: 5% of requests/,
    );
    await bed.fake.waitForCall("chat.postMessage", inThread(ts, /The soak passed/), 10_000);
    // AWS carries the promotion out at once, but its answer never reaches the bot: killed first.
    bed.strict.delayNextResponse("UpdateDistributionWithStagingConfig", 60_000);
    await bed.command(`promote ${id}`, { userId: "UBOB", channelId: CHANNEL });
    await bed.fake.waitFor(
      () => (bed.strict.counts().UpdateDistributionWithStagingConfig ?? 0) > 0 || undefined,
      { description: "the promotion sent" },
    );
    await bed.restartBot("kill");
    bed.strict.stopDelaying();
    await bed.fake.waitForCall("chat.postMessage", inThread(ts, /is Deployed on web/), 30_000);
    await bed.jobRuns("changes", 3);

    expect(bed.strict.counts().UpdateDistributionWithStagingConfig).toBe(1);
    expect((await configOf(bed.web.id)).PriceClass).toBe("PriceClass_All");
    expect(repliesIn(ts, /is Deployed on web/)).toHaveLength(1);
    expect(repliesIn(ts, /Promoted: the primary has/)).toHaveLength(1);
  }, 90_000);
  it("killed while its staging copy is made: one copy, found again by the reference it was made with", async () => {
    const staged = async () =>
      ((await bed.cloudfront.send(new ListDistributionsCommand({}))).DistributionList?.Items ?? []).filter(
        (d) => d.Staging,
      ).length;
    const before = await staged();
    await bed.command("price-class shop 200 --staged 5%", { userId: "UALICE", channelId: CHANNEL });
    const request = await bed.fake.waitForCall("chat.postMessage", (b) =>
      /Pending approval/.test(String(b.text)),
    );
    const id = requestIdIn(text(request));
    const ts = String(request.response?.ts);
    // AWS makes the copy at once, but its answer never reaches the bot: killed first.
    bed.strict.delayNextResponse("CopyDistribution", 60_000);
    await bed.click(APPROVE, id, { userId: "UBOB", messageTs: ts, channelId: CHANNEL });
    await bed.fake.waitFor(() => (bed.strict.counts().CopyDistribution ?? 0) > 0 || undefined, {
      description: "the copy asked for",
    });
    await bed.restartBot("kill");
    bed.strict.stopDelaying();
    await bed.fake.waitForCall(
      "chat.postMessage",
      inThread(ts, /The staging copy serves its share now/),
      30_000,
    );
    // The second CopyDistribution was refused as the same reference's: the first copy is the one used.
    expect(await staged()).toBe(before + 1);
    expect(repliesIn(ts, /serves its share now/)).toHaveLength(1);
    const abort = await bed.command(`abort ${id}`, { userId: "UALICE", channelId: CHANNEL });
    expect(await abort.reply()).toMatch(/Aborting change/);
    await bed.fake.waitForCall("chat.postMessage", inThread(ts, /Failed: Aborted/), 10_000);
  }, 90_000);

  it("through the API: an agent stages it and may abort it, but only a person promotes it", async () => {
    const api = async (path: string, body?: unknown) => {
      const res = await fetch(`${bed.bot.url}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${AGENT}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const asked = await api("/api/v1/changes", {
      distribution: "web",
      change: { kind: "comment", comment: "Staged by an agent" },
      staged: { header: { name: "aws-cf-cd-agent", value: "yes" } },
    });
    expect(asked.status).toBe(202);
    const id = String(asked.body.id);
    const request = await bed.fake.waitForCall("chat.postMessage", (b) =>
      /Pending approval/.test(String(b.text)),
    );
    await bed.click(APPROVE, id, {
      userId: "UBOB",
      messageTs: String(request.response?.ts),
      channelId: CHANNEL,
    });
    // Its thread says when the soak passed; the API says so too.
    await bed.fake.waitForCall("chat.postMessage", (b) => /The soak passed/.test(String(b.text)), 20_000);
    expect((await api(`/api/v1/operations/${id}`)).body).toMatchObject({
      state: "staged",
      staged: { phase: "awaiting-promotion", stagingDistributionId: await stagingId() },
    });
    const promote = await api(`/api/v1/changes/${id}/promote`, {});
    expect(promote.status).toBe(422);
    expect(promote.body).toMatchObject({ error: { message: expect.stringMatching(/Only people approve/) } });
    const abort = await api(`/api/v1/changes/${id}/abort`, { reason: "the canary's checks failed" });
    expect(abort.status).toBe(200);
    const ended = await api(`/api/v1/operations/${id}/wait?timeout=20`);
    expect(ended.body).toMatchObject({
      state: "failed",
      errorCode: "staged-pulled-back",
      staged: { share: "requests with header aws-cf-cd-agent: yes", phase: "pulled-back" },
    });
    expect(String(ended.body.error)).toMatch(
      /Aborted: asked by API client release-agent: the canary's checks failed/,
    );
    expect(bed.strict.counts().UpdateDistributionWithStagingConfig ?? 0).toBe(0);
  }, 60_000);

  // Last: CloudWatch keeps the breach it was given for the minutes it covers.
  it("is pulled back by itself when its 5xx rate breaches, with the figures, the primary never written", async () => {
    const before = await configOf(bed.web.id);
    const { ts } = await stageAndApprove(
      "comment web Staged comment --staged header=aws-cf-cd-canary:1",
      /staged first: requests with header aws-cf-cd-canary: 1/,
    );
    const staging = await stagingId();
    // The copy made for the first change is the one staged again.
    expect(bed.strict.counts().CopyDistribution ?? 0).toBe(0);
    expect((await configOf(staging)).Comment).toBe("Staged comment");

    // The first try to turn the policy off is refused: the change is not failed for it, and its
    // copy never keeps the traffic: the next pass turns it off.
    bed.strict.failNext("UpdateContinuousDeploymentPolicy", { status: 403, code: "AccessDenied" });
    const breachedAt = Date.now();
    await Promise.all([rates(staging, "5xxErrorRate", 12), rates(bed.web.id, "5xxErrorRate", 0.1)]);
    const note = await bed.fake.waitForCall(
      "chat.postMessage",
      // (CloudWatch averages what the first test's healthy minutes put in the same minutes.)
      inThread(ts, /Pulling it back: the staging 5xx rate was [1-9]\d*\.\d\d% against the primary's 0\.10%/),
      10_000,
    );
    const final = await bed.fake.waitForCall("chat.postMessage", inThread(ts, /Failed: Pulled back/), 10_000);
    expect(text(final)).toMatch(/All traffic went back to the primary, which was never written/);
    expect(note.at - breachedAt).toBeLessThan(5_000);
    expect(bed.strict.counts().UpdateContinuousDeploymentPolicy).toBeGreaterThanOrEqual(2);

    const primary = await configOf(bed.web.id);
    expect(primary.Comment).toBe(before.Comment);
    const policy = await bed.cloudfront.send(
      new GetContinuousDeploymentPolicyConfigCommand({ Id: primary.ContinuousDeploymentPolicyId! }),
    );
    expect(policy.ContinuousDeploymentPolicyConfig?.Enabled).toBe(false);
    expect(bed.strict.counts().UpdateDistributionWithStagingConfig ?? 0).toBe(0);
  }, 60_000);
});
