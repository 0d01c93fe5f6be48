import { readdirSync, readFileSync } from "node:fs";
import {
  GetDistributionCommand,
  GetDistributionConfigCommand,
  GetInvalidationCommand,
  TagResourceCommand,
} from "@aws-sdk/client-cloudfront";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { historyDirs } from "../../src/store/state-files.js";
import { requestIdIn, text } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

const APPROVE = "approval_approve";
const WEB_ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/block-bots/a1b2c3d4";
let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 300, deployAfterMs: 1500 },
    otherDistributions: ["stack", "infra"],
    extraConfig: (_web, others) =>
      [
        "  stack:",
        `    id: ${others.stack!.id}`,
        "    policy:",
        "      iacManaged: require-reason",
        "  infra:",
        `    id: ${others.infra!.id}`,
        "    policy:",
        "      iacManaged: refuse",
        "iac:",
        "  tags: [managed-by=terraform]",
        `accessLogs:\n  buckets: [security-logs]\nwaf:\n  webAcls: [${WEB_ACL}]\n`,
      ].join("\n"),
  });
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
});

async function reply(responseUrl: string): Promise<string> {
  return text(await bed.fake.waitForReply(responseUrl));
}

async function liveConfig() {
  return (await bed.cloudfront.send(new GetDistributionConfigCommand({ Id: bed.web.id })))
    .DistributionConfig!;
}

/** Asks for a change as UALICE, checks the preview, approves it as UBOB and waits until Deployed. */
async function changeAndApprove(command: string, preview: RegExp, target = "web") {
  await bed.command(command, { userId: "UALICE", channelId: "CCHANGE" });
  const request = await bed.fake.waitForCall("chat.postMessage", (b) =>
    /Pending approval/.test(String(b.text)),
  );
  expect(text(request)).toMatch(preview);
  const requestId = requestIdIn(text(request));
  const messageTs = String(request.response?.ts);
  expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);

  const approvedAt = Date.now();
  await bed.click(APPROVE, requestId, { userId: "UBOB", messageTs, channelId: "CCHANGE" });

  const written = await bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.thread_ts === messageTs && /written/.test(String(b.text)),
    15_000,
  );
  expect(text(written)).toMatch(/Status: InProgress while CloudFront deploys it/);
  const deployed = await bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.thread_ts === messageTs && /is Deployed on/.test(String(b.text)),
    20_000,
  );
  expect(text(deployed)).toMatch(
    new RegExp(
      `Change ${requestId} is Deployed on ${target}: live at every edge location, \\d+s after it was written`,
    ),
  );
  await bed.fake.waitForCall(
    "chat.update",
    (b) => b.ts === messageTs && /Status: Deployed/.test(String(b.text)),
  );
  return { requestId, messageTs, approvedAt };
}

describe("a change from Slack", () => {
  it("shows the settings", async () => {
    const res = await bed.command("config web");
    expect(await reply(res.responseUrl)).toMatch(
      /\*`web`\* \(\w+\): Enabled, price class PriceClass_100, default root object `index.html`/,
    );
  });

  it("is previewed, approved, written with a fresh ETag, followed to Deployed and rolled back", async () => {
    const before = (await liveConfig()).Comment;

    const { requestId, approvedAt } = await changeAndApprove(
      "comment web Checkout is on fire",
      /asks to change web \(\w+\): comment: `.*` → `Checkout is on fire`/,
    );

    expect((await liveConfig()).Comment).toBe("Checkout is on fire");
    // The PUT carried the ETag that a GET made after the approval returned.
    const afterApproval = bed.strict.requests.filter((r) => r.at >= approvedAt);
    const put = afterApproval.find((r) => r.operation === "UpdateDistribution")!;
    const gets = afterApproval.filter((r) => r.operation === "GetDistributionConfig" && r.at <= put.at);
    expect(gets.length).toBeGreaterThanOrEqual(1);
    expect(put.ifMatch).toBeDefined();
    expect(bed.strict.counts().UpdateDistribution).toBe(1);

    bed.fake.reset();
    bed.strict.resetCounts();
    await changeAndApprove(`rollback ${requestId}`, /comment: `Checkout is on fire` → /);
    expect((await liveConfig()).Comment).toBe(before);
  });

  it("blocks countries after approval, with the codes checked", async () => {
    const refused = await bed.command("geo web block KP,XX");
    expect(await reply(refused.responseUrl)).toMatch(/Not ISO 3166-1 country codes: `XX`/);
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);

    await changeAndApprove("geo web block KP,IR", /geo restriction: none → block IR, KP/);
    expect((await liveConfig()).Restrictions?.GeoRestriction).toMatchObject({
      RestrictionType: "blacklist",
      Items: ["IR", "KP"],
    });
  });

  it("turns access logging on, to a bucket the config lists only, and off again", async () => {
    const elsewhere = await bed.command("logging web on bucket=attacker-bucket");
    expect(await reply(elsewhere.responseUrl)).toMatch(
      /Access logs may go only to the buckets the config lists under `accessLogs.buckets` \(`security-logs`\); `attacker-bucket` is not one\. Nothing was sent\./,
    );
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);

    await changeAndApprove(
      "logging web on bucket=security-logs prefix=web/",
      /access logging: off → on, to security-logs\/web\//,
    );
    expect((await liveConfig()).Logging).toMatchObject({
      Enabled: true,
      Bucket: "security-logs.s3.amazonaws.com",
      Prefix: "web/",
      IncludeCookies: false,
    });
    bed.fake.reset();
    bed.strict.resetCounts();
    await changeAndApprove("logging web off", /access logging: on, to security-logs\/web\/ → off/);
    expect((await liveConfig()).Logging).toMatchObject({ Enabled: false });
  }, 60_000);

  it("puts a web ACL the config lists in front of the distribution, shows it, and takes it away", async () => {
    const other = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/someone-elses/ffff";
    const refused = await bed.command(`waf web attach ${other}`);
    expect(await reply(refused.responseUrl)).toMatch(
      /I attach only the web ACLs the config lists under `waf.webAcls`.*`arn:aws:wafv2:us-east-1:123456789012:global\/webacl\/someone-elses\/ffff` is not one\. Nothing was sent\./,
    );
    const none = await bed.command("waf web show");
    expect(await reply(none.responseUrl)).toMatch(/has no web ACL: AWS WAF filters none of its requests/);
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);

    await changeAndApprove(
      `waf web attach ${WEB_ACL}`,
      /web ACL: \(none\) → `arn:aws:wafv2:.*block-bots\/\w+`/,
    );
    expect((await liveConfig()).WebACLId).toBe(WEB_ACL);
    // Through CloudFront's web ACL API, with the ETag read just before it; never the whole config.
    const attach = bed.strict.requests.filter((r) => r.operation === "AssociateDistributionWebACL");
    expect(attach).toHaveLength(1);
    expect(attach[0]!.ifMatch).toMatch(/^ESTRICT/);
    const readBefore = bed.strict.requests
      .filter((r) => r.operation === "GetDistributionConfig" && r.at <= attach[0]!.at)
      .at(-1);
    expect(readBefore).toBeDefined();
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);
    const shown = await bed.command("waf web show");
    expect(await reply(shown.responseUrl)).toMatch(/is behind web ACL `block-bots`/);

    bed.fake.reset();
    bed.strict.resetCounts();
    await changeAndApprove("waf web detach", /web ACL: `arn:aws:wafv2:.*block-bots\/a1b2c3d4` → \(none\)/);
    expect((await liveConfig()).WebACLId ?? "").toBe("");
    expect(bed.strict.counts().DisassociateDistributionWebACL).toBe(1);
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);
  }, 60_000);

  it("attaches a response headers policy by name, and shows the headers a behaviour's responses get", async () => {
    const none = await bed.command("headers web show");
    expect(await reply(none.responseUrl)).toMatch(
      /has no response headers policy: its responses carry only what the origin sends/,
    );
    const unknown = await bed.command("headers web strictest");
    expect(await reply(unknown.responseUrl)).toMatch(
      /There is no response headers policy `strictest` by that name\. The account's: `Managed-SecurityHeadersPolicy`/,
    );

    await changeAndApprove(
      "headers web Managed-SecurityHeadersPolicy",
      /default behaviour · response headers policy, to Managed-SecurityHeadersPolicy: \(none\) → `67f7725c-6f97-4210-82d7-5512b31e9d03`/,
    );
    expect((await liveConfig()).DefaultCacheBehavior?.ResponseHeadersPolicyId).toBe(
      "67f7725c-6f97-4210-82d7-5512b31e9d03",
    );
    const managed = await bed.command("headers web show");
    expect(await reply(managed.responseUrl)).toMatch(
      /uses response headers policy `Managed-SecurityHeadersPolicy`[\s\S]*`Strict-Transport-Security: max-age=31536000`[\s\S]*`X-Frame-Options: SAMEORIGIN`/,
    );

    const custom = bed.strict.addResponseHeadersPolicy({
      name: "strict-csp",
      hstsMaxAge: 63_072_000,
      csp: "default-src 'self'",
      frameOption: "DENY",
    });
    bed.fake.reset();
    bed.strict.resetCounts();
    await changeAndApprove(
      "headers web strict-csp",
      new RegExp(`to strict-csp: \`67f7725c-6f97-4210-82d7-5512b31e9d03\` → \`${custom}\``),
    );
    const shown = await bed.command("headers web show");
    expect(await reply(shown.responseUrl)).toMatch(
      /`Content-Security-Policy: default-src &#39;self&#39;`|`Content-Security-Policy: default-src 'self'`/,
    );
  }, 60_000);

  it("says so when a change changes nothing, and sends nothing", async () => {
    const current = (await liveConfig()).PriceClass ?? "PriceClass_100";
    const res = await bed.command(`price-class web ${current.replace("PriceClass_", "")}`, {
      channelId: "CNOOP",
    });
    expect(await reply(res.responseUrl)).toMatch(
      /This changes nothing: `web` already has these settings\. Nothing was sent\./,
    );
    expect(bed.fake.callsTo("chat.postMessage").filter((c) => c.body.channel === "CNOOP")).toHaveLength(0);
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);
  });

  it("stops without writing when someone else changed the same field between preview and write", async () => {
    await bed.command("root-object web home.html", { userId: "UALICE", channelId: "CCHANGE" });
    const request = await bed.fake.waitForCall("chat.postMessage", (b) =>
      /Pending approval/.test(String(b.text)),
    );
    const requestId = requestIdIn(text(request));
    // Someone changes the root object in the console meanwhile.
    const { GetDistributionConfigCommand: Get, UpdateDistributionCommand } = await import(
      "@aws-sdk/client-cloudfront"
    );
    const live = await bed.cloudfront.send(new Get({ Id: bed.web.id }));
    await bed.cloudfront.send(
      new UpdateDistributionCommand({
        Id: bed.web.id,
        IfMatch: live.ETag,
        DistributionConfig: { ...live.DistributionConfig!, DefaultRootObject: "console.html" },
      }),
    );
    bed.strict.resetCounts();

    await bed.click(APPROVE, requestId, { userId: "UBOB", messageTs: String(request.response?.ts) });

    const failed = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => /Failed/.test(String(b.text)),
      15_000,
    );
    expect(text(failed)).toMatch(
      /Someone else changed the same settings since the preview \(default root object was `index\.html` in the preview and is `console\.html` now\)/,
    );
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);
    expect((await liveConfig()).DefaultRootObject).toBe("console.html");
  });
});

describe("a distribution infrastructure as code owns", () => {
  async function tag(id: string, key: string, value: string) {
    const { Distribution } = await bed.cloudfront.send(new GetDistributionCommand({ Id: id }));
    await bed.cloudfront.send(
      new TagResourceCommand({ Resource: Distribution!.ARN!, Tags: { Items: [{ Key: key, Value: value }] } }),
    );
  }
  /** The audit journal's entries, as the bot appended them. */
  function auditEntries(): { type: string; requestId?: string; details?: Record<string, unknown> }[] {
    const dir = historyDirs(bed.bot.dataFile).audit;
    return readdirSync(dir)
      .filter((f) => f.endsWith(".jsonl"))
      .flatMap((f) => readFileSync(`${dir}/${f}`, "utf8").trim().split("\n"))
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  }

  it("is said in the preview, wants a reason where the policy says so, and is kept in the audit", async () => {
    await tag(bed.others.stack!.id, "aws:cloudformation:stack-name", "edge-prod");

    const bare = await bed.command("comment stack Sale banner", { userId: "UALICE", channelId: "CCHANGE" });
    expect(await reply(bare.responseUrl)).toMatch(
      /`stack` is managed by CloudFormation \(tag `aws:cloudformation:stack-name=edge-prod`\): the next stack update will revert this change unless the template changes too\. Its policy wants a reason for changing it here: ask again with `--reason "…"`.*Nothing was sent\./,
    );

    // As Slack sends what was typed: a literal `<!here>` arrives as entities.
    await bed.command('comment stack Sale banner --reason "INC-231: &lt;!here&gt; the template follows"', {
      userId: "UALICE",
      channelId: "CCHANGE",
    });
    const request = await bed.fake.waitForCall("chat.postMessage", (b) =>
      /Pending approval/.test(String(b.text)),
    );
    const shown = text(request);
    expect(shown).toMatch(/comment: .* → `Sale banner`/);
    expect(shown).toMatch(/managed by CloudFormation .*the next stack update will revert this change/);
    // The reason is the requester's words, shown literally: never a mention.
    expect(shown).toMatch(/Reason: `INC-231: &lt;!here&gt; the template follows`/);
    expect(JSON.stringify(request.body.blocks)).not.toContain("<!here>");
    const requestId = requestIdIn(shown);
    expect(
      auditEntries().find((e) => e.type === "approval.requested" && e.requestId === requestId),
    ).toMatchObject({
      details: {
        iac: { tool: "CloudFormation", tag: "aws:cloudformation:stack-name=edge-prod" },
        reason: "INC-231: <!here> the template follows",
      },
    });
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);
  });

  it("is refused where its policy says so, and nothing is written", async () => {
    await tag(bed.others.infra!.id, "managed-by", "Terraform");
    const res = await bed.command('ttl infra default=0 --reason "urgent"', { userId: "UALICE" });
    expect(await reply(res.responseUrl)).toMatch(
      /`infra` is managed by Terraform \(tag `managed-by=Terraform`\): the next apply will revert this change unless the code changes too\. Its policy refuses changes from here \(iacManaged: refuse\): change the code instead\. Nothing was sent\./,
    );
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);
    expect(
      bed.fake.callsTo("chat.postMessage").filter((c) => /Pending approval/.test(String(c.body.text))),
    ).toEqual([]);
  });
});

describe("a tenant's own settings", () => {
  it("are changed with the tenant's ETag, followed to Deployed and rolled back; the rest is refused", async () => {
    bed.strict.defineTenantParameters(bed.web.id, [{ name: "origin", required: true }, { name: "greeting" }]);
    const acme = bed.strict.addTenant(bed.web.id, {
      name: "acme",
      domains: ["acme.example.org"],
      parameters: [{ name: "origin", value: "acme-a.example.org" }],
    });
    const tenantWrites = () =>
      (bed.strict.counts().UpdateDistributionTenant ?? 0) +
      (bed.strict.counts().AssociateDistributionTenantWebACL ?? 0);

    // What a tenant does not have, or may not lose, is refused before anything is sent.
    for (const [command, why] of [
      [
        "params web/acme region=eu",
        /`web` defines no parameter `region`; its tenants take `origin`, `greeting`/,
      ],
      ["params web/acme origin=-", /`origin` is a required parameter of `web`'s tenants/],
      ["ttl web/acme default=5", /A tenant has no ttl of its own: it is `web`'s, shared by every tenant/],
      ["params web origin=x", /Parameters are a tenant's: name it as `web\/&lt;tenant&gt;`/],
      ["disable web/initech", /`web` has no tenant `initech`/],
    ] as const) {
      const refused = await bed.command(command);
      expect(await refused.reply()).toMatch(why);
    }
    expect(tenantWrites()).toBe(0);

    await changeAndApprove(
      "params web/acme origin=acme-b.example.org greeting=<!here>",
      /tenant · parameter origin: `acme-a\.example\.org` → `acme-b\.example\.org`; tenant · parameter greeting: \(none\) → `@here`/,
      "web/acme",
    );
    expect(bed.strict.tenant(acme)?.parameters).toEqual([
      { name: "origin", value: "acme-b.example.org" },
      // Slack sends a typed @here as <!here>: the value is what was typed, never a mention.
      { name: "greeting", value: "@here" },
    ]);
    // Written whole, with the ETag of the tenant read just before.
    const update = bed.strict.requests.filter((r) => r.operation === "UpdateDistributionTenant");
    expect(update).toHaveLength(1);
    expect(update[0]!.ifMatch).toMatch(/^ESTRICT/);
    expect(
      bed.strict.requests.filter((r) => r.operation === "GetDistributionTenant" && r.at <= update[0]!.at)
        .length,
    ).toBeGreaterThan(0);

    bed.fake.reset();
    const { requestId } = await changeAndApprove(
      "disable web/acme",
      /tenant · enabled: yes → no/,
      "web/acme",
    );
    expect(bed.strict.tenant(acme)?.enabled).toBe(false);
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);
    bed.fake.reset();
    await changeAndApprove(`rollback ${requestId}`, /tenant · enabled: no → yes/, "web/acme");
    expect(bed.strict.tenant(acme)?.enabled).toBe(true);

    bed.fake.reset();
    bed.strict.resetCounts();
    await changeAndApprove(
      `waf web/acme attach ${WEB_ACL}`,
      /tenant · web ACL: \(none\) → `arn:aws:wafv2:.*block-bots/,
      "web/acme",
    );
    expect(bed.strict.tenant(acme)?.webAclArn).toBe(WEB_ACL);
    expect(bed.strict.counts().AssociateDistributionTenantWebACL).toBe(1);
    expect(bed.strict.counts().UpdateDistributionTenant ?? 0).toBe(0);
    const shown = await bed.command("status web/acme");
    const status = await reply(shown.responseUrl);
    expect(status).toMatch(/^Tenant `acme` \(\w+\) of \*`web`\*.*: Enabled, Deployed/);
    expect(status).toContain("`origin` = `acme-b.example.org`");
    expect(status).toContain(`*Web ACL:* \`${WEB_ACL}\``);
  }, 90_000);
});

describe("purges by cache tag", () => {
  it("are refused where CloudFront reads no tags, turned on by a change, sent as `#` items, and coalesce with paths in a burst", async () => {
    // Prepare: web reads no cache tags yet.
    const refused = await bed.command("purge web tag:product-42", { userId: "UALICE", channelId: "CCHANGE" });
    expect(await reply(refused.responseUrl)).toMatch(
      /`web` reads no cache tags from its origin.*`\/cdn cache-tags web header=/,
    );
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);

    // Act: turn them on, as a change with its preview and approval.
    await changeAndApprove("cache-tags web header=Cache-Tag", /cache-tag header: \(none\) → Cache-Tag\./);
    expect((await liveConfig()).CacheTagConfig).toEqual({ HeaderName: "Cache-Tag" });
    const shown = await bed.command("cache-tags web show");
    expect(await reply(shown.responseUrl)).toMatch(/reads cache tags from its origin's `Cache-Tag` header/);

    // A wildcard in a tag is refused before anything reaches AWS.
    const wild = await bed.command("purge web tag:product-*", { userId: "UALICE", channelId: "CCHANGE" });
    expect(await reply(wild.responseUrl)).toMatch(/not a valid tag: CloudFront matches tags exactly/);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);

    // Tags and paths in one purge, a tag twice in two cases: one invalidation, each item once.
    await bed.command("purge web tag:Product-42 /index.html tag:SALE tag:product-42", {
      userId: "UALICE",
      channelId: "CCHANGE",
    });
    const created = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => Boolean(b.thread_ts) && /Invalidation \S+ created/.test(String(b.text)),
    );
    const invalidationId = /Invalidation (\S+) created/.exec(text(created))?.[1];

    // Assess: CloudFront got exactly the tags, as `#` items, beside the path.
    const inv = await bed.cloudfront.send(
      new GetInvalidationCommand({ DistributionId: bed.web.id, Id: invalidationId! }),
    );
    expect(inv.Invalidation?.InvalidationBatch?.Paths?.Items).toEqual([
      "#product-42",
      "/index.html",
      "#sale",
    ]);
    expect(bed.strict.counts().CreateInvalidation).toBe(1);

    // A burst of tag and path purges at the same instant coalesces: every item reaches CloudFront
    // once, in one invalidation (two if the burst straddles the coalescing window), and every
    // purge's thread is told Completed exactly once.
    bed.strict.resetCounts();
    const asked = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? `/burst/${i}.html` : `tag:burst-${i}`));
    const acks = await Promise.all(
      asked.map((item, i) =>
        bed.command(`purge web ${item}`, { userId: `UBURST${i % 4}`, channelId: "CBURST" }),
      ),
    );
    expect(acks.map((a) => a.status)).toEqual(asked.map(() => 200));
    await bed.fake.waitFor(
      (all) =>
        all.filter(
          (c) =>
            c.method === "chat.postMessage" &&
            c.body.channel === "CBURST" &&
            Boolean(c.body.thread_ts) &&
            /Completed in/.test(String(c.body.text)),
        ).length >= asked.length || undefined,
      { description: "every purge of the burst told Completed", timeoutMs: 30_000 },
    );
    const completions = bed.fake
      .callsTo("chat.postMessage")
      .filter((c) => c.body.channel === "CBURST" && /Completed in/.test(String(c.body.text)));
    expect(new Set(completions.map((c) => c.body.thread_ts)).size).toBe(asked.length);
    expect(completions).toHaveLength(asked.length);
    const sent = bed.strict.counts().CreateInvalidation ?? 0;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(2);
    const ids = new Set(completions.map((c) => /Invalidation (\S+) Completed/.exec(text(c))?.[1]));
    expect(ids.size).toBe(sent);
    const items: string[] = [];
    for (const id of ids) {
      const out = await bed.cloudfront.send(
        new GetInvalidationCommand({ DistributionId: bed.web.id, Id: id! }),
      );
      items.push(...(out.Invalidation?.InvalidationBatch?.Paths?.Items ?? []));
    }
    expect(items.sort()).toEqual(asked.map((a) => a.replace(/^tag:/, "#")).sort());
  }, 60_000);
});
