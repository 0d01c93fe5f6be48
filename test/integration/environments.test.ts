import { GetDistributionCommand, GetDistributionConfigCommand } from "@aws-sdk/client-cloudfront";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken, mintToken } from "../../src/api/api-clients.js";
import { requestIdIn, text } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

const APPROVE = "approval_approve";
const PREVIEWS = mintToken();
const WEB_ONLY = mintToken();
const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-preview";
let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 300, deployAfterMs: 1500 },
    // The first line continues `web`'s block: its channel for API requests.
    extraConfig: () =>
      [
        "    channel: CWEBAPI",
        "environments:",
        // web and one environment: a second is past this (deliberately small) quota.
        "  distributionsQuota: 2",
        "  templates:",
        "    preview:",
        "      from: web",
        "      aliasDomain: preview.example.com",
        `      certificateArn: ${CERT}`,
        "      channel: CENV",
        "api:",
        "  clients:",
        "    previews:",
        `      tokenHash: ${hashToken(PREVIEWS)}`,
        "      distributions: [preview]",
        "      actions: [environment, purge]",
        "    web-only:",
        `      tokenHash: ${hashToken(WEB_ONLY)}`,
        "      distributions: [web]",
        "      actions: [purge, change]",
        "",
      ].join("\n"),
  });
});
afterAll(async () => {
  await bed?.close();
});

async function reply(command: string, as: { userId?: string; channelId?: string } = {}) {
  return (await bed.command(command, as)).reply();
}

async function api(path: string, token: string, method = "GET", body?: unknown, key?: string) {
  const res = await fetch(`${bed.bot.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { "content-type": "application/json" } : {}),
      ...(key ? { "idempotency-key": key } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Waits for the approval request that matches, approves it as UBOB, and gives its id and thread. */
async function approve(pattern: RegExp, channelId: string) {
  const request = await bed.fake.waitForCall(
    "chat.postMessage",
    (b) => /Pending approval/.test(String(b.text)) && pattern.test(String(b.text)),
  );
  const requestId = requestIdIn(text(request));
  const messageTs = String(request.response?.ts);
  await bed.click(APPROVE, requestId, { userId: "UBOB", messageTs, channelId });
  return { requestId, messageTs, text: text(request) };
}

const threadReply = (messageTs: string, pattern: RegExp, timeoutMs = 20_000) =>
  bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.thread_ts === messageTs && pattern.test(String(b.text)),
    timeoutMs,
  );

describe("environment distributions from Slack", () => {
  it("refuses what cannot be made before anything reaches AWS", async () => {
    bed.strict.resetCounts();
    expect(await reply("env create nightly pr-1 origin=a.example.com")).toMatch(
      /There is no environment template `nightly`\. The config has: `preview`\./,
    );
    expect(await reply("env create preview web origin=a.example.com")).toMatch(
      /`web` is already the name of one of my distributions or templates/,
    );
    expect(await reply("env create preview pr-1 origin=a.example.com alias=pr-1.evil.example.net")).toMatch(
      /is not directly under `preview\.example\.com`, the only domain template `preview`'s certificate covers/,
    );
    expect(await reply("env create preview pr-1 origin=<@U123>")).toMatch(/is not a host name/);
    const usage = (await bed.command("env create preview pr-1")).json as { text: string };
    expect(usage.text).toMatch(/^Tell me its origin: `origin=&lt;host&gt;`\. Usage: `\/cdn env create/);
    expect(bed.strict.counts().CreateDistribution ?? 0).toBe(0);
  });

  it("counts a create waiting for approval against the quota: of two asked at once, one waits, one is refused", async () => {
    const [a, b] = await Promise.all([
      reply("env create preview pr-7 origin=a.example.com"),
      reply("env create preview pr-8 origin=b.example.com"),
    ]);

    const answers = [a, b].sort();
    expect(answers[0]).toMatch(/^Environment pr-[78] \(R[0-9A-Z]{6}\) waits for approval/);
    expect(answers[1]).toMatch(/its quota is 2 .*another cannot be made/);
    const requestId = /\((R[0-9A-Z]{6})\)/.exec(answers[0]!)?.[1];
    expect(await reply(`cancel ${requestId}`)).toMatch(/is withdrawn/);
    // Withdrawn: its place is free again.
    const again = await reply("env create preview pr-9 origin=c.example.com");
    expect(again).toMatch(/waits for approval/);
    await reply(`cancel ${/\((R[0-9A-Z]{6})\)/.exec(again)?.[1]}`);
  });

  it("is created after approval, followed to Deployed, used like any distribution, kept across a restart, and deleted", async () => {
    bed.fake.reset();
    bed.strict.resetCounts();
    const asked = await reply(
      "env create preview pr-42 origin=https://pr-42.app.example.com/ alias=<http://pr-42.preview.example.com|pr-42.preview.example.com>",
      { userId: "UALICE", channelId: "CENV" },
    );
    expect(asked).toMatch(/Environment pr-42 \(R[0-9A-Z]{6}\) waits for approval in the channel/);
    expect(asked).toMatch(
      /No charge for the distribution itself.*2 of 2 distributions in the account, 1 of 5 environments/,
    );
    const { requestId, messageTs, text: card } = await approve(/create environment pr-42/, "CENV");
    expect(card).toMatch(/from template preview \(a copy of web/);
    expect(card).toMatch(/origin pr-42\.app\.example\.com, alias pr-42\.preview\.example\.com/);

    const created = await threadReply(messageTs, /created for environment pr-42/);
    const distributionId = /Distribution ([0-9A-Z]+) created/.exec(text(created))![1]!;
    await threadReply(messageTs, /Environment pr-42 is Deployed and ready at pr-42\.preview\.example\.com/);
    expect(bed.strict.counts().CreateDistribution).toBe(1);

    const made = (await bed.cloudfront.send(new GetDistributionConfigCommand({ Id: distributionId })))
      .DistributionConfig!;
    expect(made.CallerReference).toBe(requestId);
    expect(made.Aliases?.Items).toEqual(["pr-42.preview.example.com"]);
    expect(made.ViewerCertificate?.ACMCertificateArn).toBe(CERT);
    expect(made.Origins?.Items?.[0]?.DomainName).toBe("pr-42.app.example.com");
    expect(made.Comment).toBe(`cdnbot environment pr-42 (${requestId})`);

    // One of the bot's distributions now, by its name.
    expect(await reply("list")).toMatch(/pr-42/);
    const purged = await bed.command("purge pr-42 /index.html", { userId: "UALICE", channelId: "CENV" });
    await purged.done();
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => /Completed/.test(String(b.text)) && /pr-42/.test(String(b.text)),
    );
    expect(bed.strict.invalidationsCreated(distributionId)).toBe(1);

    // The account's quota is reached: a second one is refused before AWS is asked.
    bed.strict.resetCounts();
    expect(await reply("env create preview pr-43 origin=pr-43.app.example.com")).toMatch(
      /The account has 2 distributions and its quota is 2/,
    );
    expect(bed.strict.counts().CreateDistribution ?? 0).toBe(0);

    // Kept in the state, not the config: a restart still knows it.
    await bed.restartBot("stop");
    expect(await reply("env list")).toMatch(
      /Environments: pr-42 \([0-9A-Z]+\) — Deployed and ready; template preview, origin pr-42\.app\.example\.com/,
    );

    bed.strict.resetCounts();
    expect(await reply("env delete pr-42", { userId: "UALICE", channelId: "CENV" })).toMatch(
      /Deleting pr-42 \(R[0-9A-Z]{6}\) waits for approval/,
    );
    const deletion = await approve(/delete environment pr-42/, "CENV");
    await threadReply(
      deletion.messageTs,
      /pr-42 is disabled; I will delete it once CloudFront has deployed that/,
    );
    await threadReply(
      deletion.messageTs,
      /Environment pr-42 is deleted \(distribution [0-9A-Z]+\) in \d+s/,
      30_000,
    );
    // Disabled with the ETag read just before, then deleted with the one read after that deployed.
    const writes = bed.strict.requests.filter(
      (r) =>
        r.distributionId === distributionId &&
        (r.operation === "UpdateDistribution" || r.operation === "DeleteDistribution"),
    );
    expect(writes.map((w) => w.operation)).toEqual(["UpdateDistribution", "DeleteDistribution"]);
    expect(writes[1]!.ifMatch).not.toBe(writes[0]!.ifMatch);
    await expect(bed.cloudfront.send(new GetDistributionCommand({ Id: distributionId }))).rejects.toThrow(
      /NoSuchDistribution|does not exist/,
    );
    expect(await reply("purge pr-42 /index.html")).toMatch(/`pr-42` is not a distribution I know/);
    expect(await reply("env list")).toMatch(/No environments yet/);
  });
});

describe("an environment's create cut off by a crash", () => {
  it("is found by the id it was made with after the restart, never made twice", async () => {
    bed.fake.reset();
    bed.strict.resetCounts();
    // CloudFront makes it, but the answer never reaches the bot: it is killed first.
    bed.strict.delayNextResponse("CreateDistribution", 60_000);
    await reply("env create preview pr-9 origin=pr-9.app.example.com", {
      userId: "UALICE",
      channelId: "CENV",
    });
    const { requestId, messageTs } = await approve(/create environment pr-9/, "CENV");
    await bed.fake.waitFor(() => bed.strict.counts().CreateDistribution === 1 || undefined, {
      description: "the CreateDistribution call",
    });
    await bed.restartBot("kill");
    bed.strict.stopDelaying();

    const created = await threadReply(messageTs, /created for environment pr-9/);
    await threadReply(messageTs, /Environment pr-9 is Deployed and ready/);
    expect(bed.strict.counts().CreateDistribution).toBe(1);
    const distributionId = /Distribution ([0-9A-Z]+) created/.exec(text(created))![1]!;
    const made = (await bed.cloudfront.send(new GetDistributionConfigCommand({ Id: distributionId })))
      .DistributionConfig!;
    expect(made.CallerReference).toBe(requestId);
    const audit = await reply("audit pr-9");
    expect(audit).toMatch(/reached AWS before a restart/);

    // Cleaned up for the next test: deleted, approved.
    await reply("env delete pr-9", { userId: "UALICE", channelId: "CENV" });
    const deletion = await approve(/delete environment pr-9/, "CENV");
    await threadReply(deletion.messageTs, /Environment pr-9 is deleted/, 30_000);
  });
});

describe("environment distributions through the API", () => {
  it("are scoped to their template, idempotent, approved in Slack, waited on, and deleted", async () => {
    bed.fake.reset();
    const body = { template: "preview", name: "pr-7", origin: "pr-7.app.example.com" };
    const refused = await api("/api/v1/environments", WEB_ONLY, "POST", body);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: "forbidden" });

    const first = await api("/api/v1/environments", PREVIEWS, "POST", body, "deploy-7");
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      kind: "environment",
      state: "awaiting-approval",
      distribution: "pr-7",
    });
    const again = await api("/api/v1/environments", PREVIEWS, "POST", body, "deploy-7");
    expect(again.body.id).toBe(first.body.id);
    const id = String(first.body.id);

    const { text: card } = await approve(/create environment pr-7/, "CENV");
    expect(card).toMatch(/pipeline `previews`/);
    let status = await api(`/api/v1/operations/${id}/wait?timeout=30`, PREVIEWS);
    while (!status.body.final) status = await api(`/api/v1/operations/${id}/wait?timeout=30`, PREVIEWS);
    expect(status.body).toMatchObject({ state: "ready", environment: { action: "create", name: "pr-7" } });
    expect(bed.strict.counts().CreateDistribution).toBeGreaterThanOrEqual(1);

    const listed = await api("/api/v1/environments", PREVIEWS);
    expect(listed.body.environments).toEqual([expect.objectContaining({ name: "pr-7", state: "ready" })]);
    expect((await api("/api/v1/environments", WEB_ONLY)).body.environments).toEqual([]);

    // The client that made it purges on it, and reads what it asked for (it once read 404).
    const purged = await api("/api/v1/purges", PREVIEWS, "POST", {
      distribution: "pr-7",
      paths: ["/index.html"],
    });
    expect(purged.status).toBe(202);
    const read = await api(`/api/v1/operations/${String(purged.body.id)}`, PREVIEWS);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ kind: "purge", distribution: "pr-7" });
    expect((await api(`/api/v1/operations/${String(purged.body.id)}`, WEB_ONLY)).status).toBe(404);

    const deleting = await api("/api/v1/environments/pr-7", PREVIEWS, "DELETE", undefined, "teardown-7");
    expect(deleting.status).toBe(202);
    expect(deleting.body).toMatchObject({ state: "awaiting-approval", environment: { action: "delete" } });
    await approve(/delete environment pr-7/, "CENV");
    const deleteId = String(deleting.body.id);
    status = await api(`/api/v1/operations/${deleteId}/wait?timeout=30`, PREVIEWS);
    while (!status.body.final) status = await api(`/api/v1/operations/${deleteId}/wait?timeout=30`, PREVIEWS);
    expect(status.body).toMatchObject({ state: "deleted", environment: { action: "delete", name: "pr-7" } });
  });

  it("are asked for by an agent over MCP with the same scoped token", async () => {
    const agent = new Client({ name: "test-agent", version: "1.0.0" });
    await agent.connect(
      new StreamableHTTPClientTransport(new URL(`${bed.bot.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${PREVIEWS}` } },
      }),
    );
    try {
      const asked = await agent.callTool({
        name: "cdn_environment_create",
        arguments: { template: "preview", name: "pr-8", origin: "pr-8.app.example.com" },
      });
      expect(asked.isError).toBeFalsy();
      const said = (asked.content as { text: string }[])[0]!.text;
      expect(said).toMatch(/R[0-9A-Z]{6} waits for a person to approve it in Slack.*You cannot approve it/);
      const gone = await agent.callTool({ name: "cdn_environment_delete", arguments: { name: "pr-99" } });
      expect(gone.isError).toBe(true);
      expect((gone.content as { text: string }[])[0]!.text).toMatch(/There is no environment `pr-99`/);
    } finally {
      await agent.close();
    }
  });
});
