import { GetDistributionConfigCommand, UpdateDistributionCommand } from "@aws-sdk/client-cloudfront";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requestIdIn, text } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

const APPROVE = "approval_approve";
let bed: TestBed;
let policyId: string;

/** Points a distribution's default behaviour at a cache policy, as the console would. */
async function usePolicy(distributionId: string, id: string) {
  const { DistributionConfig: config, ETag } = await bed.cloudfront.send(
    new GetDistributionConfigCommand({ Id: distributionId }),
  );
  config!.DefaultCacheBehavior!.CachePolicyId = id;
  await bed.cloudfront.send(
    new UpdateDistributionCommand({ Id: distributionId, IfMatch: ETag, DistributionConfig: config }),
  );
}

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 300, deployAfterMs: 1500 },
    // shop is one of the bot's; blog is the account's only (another team's); docs stays on AWS's
    // managed CachingOptimized.
    otherDistributions: ["shop", "blog", "docs"],
    extraConfig: (_web, others) =>
      `  shop:\n    id: ${others.shop!.id}\n  docs:\n    id: ${others.docs!.id}\n`,
  });
  policyId = bed.strict.addCachePolicy({ name: "team-default", minTtl: 0, defaultTtl: 3600, maxTtl: 86_400 });
  for (const d of [bed.web.id, bed.others.shop!.id, bed.others.blog!.id]) await usePolicy(d, policyId);
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
});

async function ask(command: string) {
  await bed.command(command, { userId: "UALICE", channelId: "CPOLICY" });
  const request = await bed.fake.waitForCall("chat.postMessage", (b) =>
    /Pending approval/.test(String(b.text)),
  );
  const requestId = requestIdIn(text(request));
  return { requestId, messageTs: String(request.response?.ts), text: text(request) };
}

const approve = (asked: { requestId: string; messageTs: string }) =>
  bed.click(APPROVE, asked.requestId, { userId: "UBOB", messageTs: asked.messageTs, channelId: "CPOLICY" });

const threadReply = (messageTs: string, pattern: RegExp, timeoutMs = 20_000) =>
  bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.thread_ts === messageTs && pattern.test(String(b.text)),
    timeoutMs,
  );

describe("TTLs that live in a shared cache policy", () => {
  it("shows the blast radius, is approved, written once with a fresh ETag, and followed to Deployed on every user", async () => {
    const asked = await ask("ttl web default=300");
    expect(asked.text).toMatch(/cache policy team-default · default TTL: 3600 → 300/);
    expect(asked.text).toMatch(
      /Cache policy `team-default` is used by web \(default\), shop \(default\) and 1 other distribution in the account: all 3 get the new settings\./,
    );
    expect(bed.strict.counts().UpdateCachePolicy ?? 0).toBe(0);

    await approve(asked);
    await threadReply(
      asked.messageTs,
      /written to cache policy team-default\. Status: InProgress while CloudFront deploys it to the 3 distributions using it/,
    );
    await threadReply(
      asked.messageTs,
      /Change R[0-9A-Z]{6} is Deployed on every distribution using cache policy team-default \(3\)/,
    );
    expect(bed.strict.cachePolicyTtls(policyId)).toEqual({ min: 0, default: 300, max: 86_400 });
    // One write, with the ETag of the read right before it.
    const calls = bed.strict.requests.filter((r) => r.operation.includes("CachePolic"));
    const write = calls.findIndex((r) => r.operation === "UpdateCachePolicy");
    expect(calls.filter((r) => r.operation === "UpdateCachePolicy")).toHaveLength(1);
    expect(calls[write - 1]?.operation).toBe("GetCachePolicyConfig");
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);
  });

  it("never writes blindly: a stale ETag is read again, and a field someone else changed stops it", async () => {
    // Another field changed meanwhile: the write goes on, with the new ETag.
    const first = await ask("ttl web max=7200");
    bed.strict.editCachePolicyElsewhere(policyId, { min: 1 });
    bed.strict.failNext("UpdateCachePolicy", { status: 412, code: "PreconditionFailed" });
    await approve(first);
    await threadReply(first.messageTs, /Deployed on every distribution using cache policy team-default/);
    const writes = bed.strict.requests.filter((r) => r.operation === "UpdateCachePolicy");
    expect(writes).toHaveLength(2);
    expect(bed.strict.cachePolicyTtls(policyId)).toEqual({ min: 1, default: 300, max: 7200 });

    // The very field changed meanwhile: nothing is written, and the thread says what differs.
    bed.strict.resetCounts();
    bed.fake.reset();
    const second = await ask("ttl web default=60");
    bed.strict.editCachePolicyElsewhere(policyId, { default: 900 });
    await approve(second);
    await threadReply(
      second.messageTs,
      /Someone else changed cache policy team-default since the preview \(cache policy team-default · default TTL was 300 in the preview and is 900 now\)/,
    );
    expect(bed.strict.counts().UpdateCachePolicy ?? 0).toBe(0);
    expect(bed.strict.cachePolicyTtls(policyId)?.default).toBe(900);
  });

  it("is rolled back through the same preview and approval, to the policy", async () => {
    const asked = await ask("ttl shop default=120");
    await approve(asked);
    await threadReply(asked.messageTs, /Deployed on every distribution using cache policy team-default/);
    expect(bed.strict.cachePolicyTtls(policyId)?.default).toBe(120);

    bed.fake.reset();
    const rollback = await ask(`rollback ${asked.requestId}`);
    expect(rollback.text).toMatch(/cache policy team-default · default TTL: 120 → 900/);
    expect(rollback.text).toMatch(/all 3 get the new settings/);
    await approve(rollback);
    await threadReply(rollback.messageTs, /Deployed on every distribution using cache policy team-default/);
    expect(bed.strict.cachePolicyTtls(policyId)?.default).toBe(900);
  });

  it("on a managed policy, makes a custom copy with the new TTLs and points this behaviour at it: one change, one approval", async () => {
    const managed = "658327ea-f89d-4fab-a63d-7e88639e58f6";
    const asked = await ask("ttl docs default=600");
    expect(asked.text).toMatch(
      /`Managed-CachingOptimized` is managed by AWS and cannot change: this makes a copy of it, `CachingOptimized-cdnbot-R[0-9A-Z]{6}`, with default TTL 86400 → 600, and points the default behaviour at it\. The managed policy and its other users are untouched\./,
    );
    expect(bed.strict.counts().CreateCachePolicy ?? 0).toBe(0);
    await approve(asked);
    await threadReply(asked.messageTs, /Change R[0-9A-Z]{6} is Deployed on docs/);

    const copyId = bed.strict.cachePolicyNamed(`CachingOptimized-cdnbot-${asked.requestId}`);
    expect(copyId).toBeDefined();
    expect(bed.strict.cachePolicyTtls(copyId!)).toEqual({ min: 1, default: 600, max: 31_536_000 });
    expect(bed.strict.cachePolicyTtls(managed)?.default).toBe(86_400);
    const docs = (await bed.cloudfront.send(new GetDistributionConfigCommand({ Id: bed.others.docs!.id })))
      .DistributionConfig!;
    expect(docs.DefaultCacheBehavior?.CachePolicyId).toBe(copyId);
    expect(bed.strict.counts().CreateCachePolicy).toBe(1);
    expect(bed.strict.counts().UpdateCachePolicy ?? 0).toBe(0);
    const audit = await bed.command("audit docs");
    expect(text(await bed.fake.waitForReply(audit.responseUrl))).toMatch(
      /cache policy CachingOptimized-cdnbot-R[0-9A-Z]{6} \([0-9a-f-]{36}\) created, a copy of Managed-CachingOptimized/,
    );
  });

  it("changes a shared response headers policy's security headers, with its blast radius, on every user", async () => {
    const headersPolicy = bed.strict.addResponseHeadersPolicy({
      name: "strict-csp",
      hstsMaxAge: 31_536_000,
      csp: "default-src 'self'",
    });
    for (const d of [bed.web.id, bed.others.shop!.id]) {
      const { DistributionConfig: config, ETag } = await bed.cloudfront.send(
        new GetDistributionConfigCommand({ Id: d }),
      );
      config!.DefaultCacheBehavior!.ResponseHeadersPolicyId = headersPolicy;
      await bed.cloudfront.send(
        new UpdateDistributionCommand({ Id: d, IfMatch: ETag, DistributionConfig: config }),
      );
    }
    const managed = await bed.command("headers-policy web Managed-SecurityHeadersPolicy hsts=1", {
      userId: "UALICE",
      channelId: "CPOLICY",
    });
    expect(text(await bed.fake.waitForReply(managed.responseUrl))).toMatch(
      /`Managed-SecurityHeadersPolicy` is managed by AWS and cannot change/,
    );

    const asked = await ask(
      "headers-policy web strict-csp hsts=63072000 frame=DENY csp=default-src 'self' https://cdn.example.com",
    );
    expect(asked.text).toMatch(
      /response headers policy strict-csp · Strict-Transport-Security: max-age=31536000; includeSubDomains → max-age=63072000; includeSubDomains/,
    );
    expect(asked.text).toMatch(
      /Content-Security-Policy: default-src 'self' → default-src 'self' https:\/\/cdn\.example\.com/,
    );
    expect(asked.text).toMatch(/X-Frame-Options: \(none\) → DENY/);
    expect(asked.text).toMatch(
      /Response headers policy `strict-csp` is used by web \(default\) and shop \(default\): all 2 get the new settings\./,
    );
    expect(bed.strict.counts().UpdateResponseHeadersPolicy ?? 0).toBe(0);

    await approve(asked);
    await threadReply(
      asked.messageTs,
      /Deployed on every distribution using cache policy strict-csp \(2\)|Deployed on every distribution using .*strict-csp \(2\)/,
    );
    const xml = bed.strict.responseHeadersPolicyXml(headersPolicy)!;
    expect(xml).toContain("<AccessControlMaxAgeSec>63072000</AccessControlMaxAgeSec>");
    expect(xml).toContain("<FrameOption>DENY</FrameOption>");
    const shown = await bed.command("headers shop show");
    expect(text(await bed.fake.waitForReply(shown.responseUrl))).toMatch(
      /`Content-Security-Policy: default-src 'self' https:\/\/cdn\.example\.com`[\s\S]*`X-Frame-Options: DENY`|`X-Frame-Options: DENY`[\s\S]*`Content-Security-Policy: default-src 'self' https:\/\/cdn\.example\.com`/,
    );
    expect(bed.strict.counts().UpdateResponseHeadersPolicy).toBe(1);

    // Rolled back to the policy, through the same preview and approval.
    bed.fake.reset();
    const rollback = await ask(`rollback ${asked.requestId}`);
    expect(rollback.text).toMatch(/response headers policy strict-csp · X-Frame-Options: DENY → \(none\)/);
    await approve(rollback);
    await threadReply(
      rollback.messageTs,
      /Deployed on every distribution using response headers policy strict-csp/,
    );
    expect(bed.strict.responseHeadersPolicyXml(headersPolicy)).not.toContain("<FrameOption>");
    expect(bed.strict.responseHeadersPolicyXml(headersPolicy)).toContain(
      "<AccessControlMaxAgeSec>31536000</AccessControlMaxAgeSec>",
    );
  });

  it("creates a custom response headers policy from Slack, after approval, once", async () => {
    const asked = await ask(
      "headers-policy web create incident-lockdown hsts=63072000 frame=DENY csp=default-src 'none'",
    );
    expect(asked.text).toMatch(
      /new response headers policy incident-lockdown · Strict-Transport-Security: \(none\) → max-age=63072000; includeSubDomains/,
    );
    expect(asked.text).toMatch(
      /new response headers policy incident-lockdown · Content-Security-Policy: \(none\) → default-src 'none'/,
    );
    expect(bed.strict.counts().CreateResponseHeadersPolicy ?? 0).toBe(0);
    await approve(asked);
    await threadReply(
      asked.messageTs,
      /response headers policy incident-lockdown created\. Nothing uses it yet/,
    );
    await threadReply(
      asked.messageTs,
      /is done: response headers policy incident-lockdown exists, ready to attach/,
    );
    const id = bed.strict.responseHeadersPolicyNamed("incident-lockdown");
    expect(bed.strict.responseHeadersPolicyXml(id!)).toContain("<FrameOption>DENY</FrameOption>");
    expect(bed.strict.counts().CreateResponseHeadersPolicy).toBe(1);

    const again = await bed.command("headers-policy web create incident-lockdown hsts=1", {
      userId: "UALICE",
      channelId: "CPOLICY",
    });
    expect(text(await bed.fake.waitForReply(again.responseUrl))).toMatch(
      /There is already a response headers policy `incident-lockdown`/,
    );
    const rollback = await bed.command(`rollback ${asked.requestId}`, {
      userId: "UALICE",
      channelId: "CPOLICY",
    });
    expect(text(await bed.fake.waitForReply(rollback.responseUrl))).toMatch(/there is nothing to roll back/);
  });
});
