import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import formats from "ajv-formats";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken, mintToken } from "../../src/api/api-clients.js";
import { text } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

const PIPELINE = mintToken();
const THROTTLED = mintToken();
const ASKER = mintToken();
const CAPPED = mintToken();
const READER = mintToken();
const AGENT = mintToken();
const CALLBACK_SECRET = "a-callback-secret-of-at-least-32-chars!";
let bed: TestBed;

/** A pipeline's callback endpoint: answers 500 to the first POST, then 200; keeps what it got. */
type Received = { body: string; headers: Record<string, string | string[] | undefined> };
const received: Received[] = [];
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
      res.writeHead(received.length === 1 ? 500 : 200);
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cdn-done`;
  bed = await startTestBed({
    env: { CDNBOT_CALLBACK_SECRET: CALLBACK_SECRET },
    strict: { invalidationCompletesAfterMs: 1000, deployAfterMs: 1000 },
    otherDistributions: ["shop"],
    // The first lines continue `web`'s block: its channel for API requests.
    extraConfig: (_web, others) =>
      [
        "    channel: CWEBAPI",
        "  shop:",
        `    id: ${others.shop?.id}`,
        "    channel: CSHOPAPI",
        // The strict layer names its first store so (made once the bed is up).
        "keyValueStores:",
        "  redirects:",
        "    arn: arn:aws:cloudfront::123456789012:key-value-store/kvs-0001",
        "    channel: CKVAPI",
        "api:",
        "  callbacks:",
        "    allowedHosts: [127.0.0.1]",
        "  clients:",
        "    web-deploy:",
        `      tokenHash: ${hashToken(PIPELINE)}`,
        "      distributions: [web]",
        "      actions: [purge]",
        "    reader:",
        "      kind: agent",
        `      tokenHash: ${hashToken(READER)}`,
        '      distributions: ["*"]',
        "    ops-agent:",
        "      kind: agent",
        `      tokenHash: ${hashToken(AGENT)}`,
        "      distributions: [web, redirects]",
        "      actions: [purge, change]",
        "    throttled:",
        `      tokenHash: ${hashToken(THROTTLED)}`,
        "      distributions: [web]",
        "      actions: [purge]",
        "      requestsPerMinute: 3",
        "    asker:",
        `      tokenHash: ${hashToken(ASKER)}`,
        "      distributions: [web]",
        "      actions: [purge]",
        "      openRequests: 2",
        "    capped:",
        `      tokenHash: ${hashToken(CAPPED)}`,
        "      distributions: [web]",
        "      actions: [purge]",
        "      monthlyPathCap: 3",
        "",
      ].join("\n"),
  });
  bed.strict.addKeyValueStore({ "/old-pricing": "/pricing" });
});
afterAll(async () => {
  await bed?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

type Answer = { status: number; headers: Headers; body: Record<string, unknown> };

async function api(
  path: string,
  options: { token?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(`${bed.bot.url}${path}`, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const answer = {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown>,
  };
  answered.push({ method: options.method ?? (options.body === undefined ? "GET" : "POST"), path, ...answer });
  return answer;
}

/** Every answer the API gave in this file: the last test checks each against the OpenAPI document. */
const answered: (Answer & { method: string; path: string })[] = [];

const purge = (body: unknown, key?: string, token = PIPELINE) =>
  api("/api/v1/purges", { token, body, ...(key ? { headers: { "idempotency-key": key } } : {}) });
const errorCode = (a: Answer) => (a.body.error as { code: string }).code;
const postsIn = (channel: string) =>
  bed.fake.callsTo("chat.postMessage").filter((c) => c.body.channel === channel);

describe("the HTTP API for pipelines and agents", () => {
  it("refuses a request without a client's token, in JSON, with a stable code", async () => {
    const none = await purge({ distribution: "web", paths: ["/a"] }, undefined, "");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="cdnbot"');
    expect(none.body).toEqual({
      error: {
        code: "unauthenticated",
        message: "Send a client's token as `Authorization: Bearer <token>`.",
      },
    });
    const forged = await purge({ distribution: "web", paths: ["/a"] }, undefined, mintToken());
    expect(forged.status).toBe(401);
    expect(bed.bot.output()).not.toContain(PIPELINE);
  });

  it("purges once for a pipeline that retries with the same Idempotency-Key, in one thread naming it", async () => {
    const body = { distribution: "web", paths: ["/index.html", "/app.js"] };
    const before = bed.strict.invalidationsCreated(bed.web.id);

    const first = await purge(body, "deploy-4711");
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      kind: "purge",
      distribution: "web",
      requestedBy: "pipeline:web-deploy",
      // What Slack's message says of its cost and room, as fields.
      preview: {
        paths: 2,
        wildcards: 0,
        tags: 0,
        usd: 0,
        freeUsedBefore: expect.any(Number),
        inFlight: { paths: expect.any(Number), wildcards: expect.any(Number) },
      },
    });
    const id = String(first.body.id);
    expect(first.headers.get("location")).toBe(`/api/v1/operations/${id}`);
    // The pipeline's step is retried: twice in a row, then twice at once.
    const retries = [
      await purge(body, "deploy-4711"),
      await purge(body, "deploy-4711"),
      ...(await Promise.all([purge(body, "deploy-4711"), purge(body, "deploy-4711")])),
    ];
    for (const retry of retries) {
      expect(retry.status).toBe(200);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(retry.body.id).toBe(id);
    }

    const done = await api(`/api/v1/operations/${id}/wait?timeout=30`, { token: PIPELINE });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id, state: "completed", final: true, paths: body.paths });
    expect(bed.strict.invalidationsCreated(bed.web.id)).toBe(before + 1);
    const threads = postsIn("CWEBAPI").filter((c) => /requested by pipeline `web-deploy`/.test(text(c)));
    expect(threads).toHaveLength(1);
    await bed.fake.waitFor(
      () => postsIn("CWEBAPI").some((c) => /Completed in \d+s/.test(text(c))) || undefined,
      { description: "the thread's Completed reply" },
    );

    // The same key for another purge is a mistake, said as such; nothing is sent.
    const reused = await purge({ distribution: "web", paths: ["/other.html"] }, "deploy-4711");
    expect(reused.status).toBe(422);
    expect(errorCode(reused)).toBe("idempotency_key_reused");
    expect(bed.strict.invalidationsCreated(bed.web.id)).toBe(before + 1);
  }, 60_000);

  it("keeps each client to its distributions and actions: 403, and nothing changes", async () => {
    const before = {
      shop: bed.strict.invalidationsCreated(bed.others.shop!.id),
      posts: postsIn("CSHOPAPI").length,
    };
    const elsewhere = await purge({ distribution: "shop", paths: ["/cart.html"] });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toEqual({
      error: { code: "forbidden", message: "Client web-deploy may not use distribution shop." },
    });
    const readOnly = await purge({ distribution: "shop", paths: ["/cart.html"] }, undefined, READER);
    expect(readOnly.status).toBe(403);
    expect(errorCode(readOnly)).toBe("forbidden");
    const status = await api("/api/v1/distributions/shop", { token: PIPELINE });
    expect(status.status).toBe(403);

    expect(bed.strict.invalidationsCreated(bed.others.shop!.id)).toBe(before.shop);
    expect(postsIn("CSHOPAPI")).toHaveLength(before.posts);
    // Reading is what the reader may do.
    const read = await api("/api/v1/distributions/shop", { token: READER });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ distribution: "shop", id: bed.others.shop!.id, enabled: true });
  });

  it("a wildcard waits for a person to approve it in Slack; the pipeline waits and is told Completed", async () => {
    const asked = await purge({ distribution: "web", paths: ["/assets/*"] }, "assets-1");
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({
      state: "awaiting-approval",
      final: false,
      approval: {
        state: "pending",
        required: 1,
        given: 0,
        askedOf: "anyone in the channel except the requester",
      },
    });
    const id = String(asked.body.id);
    const request = await bed.fake.waitForCall(
      "chat.postMessage",
      (m) => m.channel === "CWEBAPI" && new RegExp(`Pending approval: request ${id}`).test(String(m.text)),
    );
    expect(text(request)).toMatch(/pipeline `web-deploy` asks to purge 1 path from web/);

    // Not yet: a short wait comes back with the state as it is.
    const still = await api(`/api/v1/operations/${id}/wait?timeout=1`, { token: PIPELINE });
    expect(still.body).toMatchObject({ state: "awaiting-approval", final: false });

    const click = await bed.click("approval_approve", id, {
      userId: "UBOB",
      channelId: "CWEBAPI",
      messageTs: String(request.response?.ts),
    });
    expect(text(await bed.fake.waitForReply(click.responseUrl))).toMatch(/You approved request/);
    const done = await api(`/api/v1/operations/${id}/wait?timeout=30`, { token: PIPELINE });
    expect(done.body).toMatchObject({
      id,
      state: "completed",
      final: true,
      approval: { state: "approved", given: 1 },
    });

    const listed = await api("/api/v1/operations?limit=5", { token: PIPELINE });
    const ids = (listed.body.operations as { id: string }[]).map((o) => o.id);
    expect(ids[0]).toBe(id);
    expect(ids.length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it("an agent's change waits for a person's approval in Slack, then is written and followed to Deployed", async () => {
    const change = (body: unknown, token = AGENT, key?: string) =>
      api("/api/v1/changes", { token, body, ...(key ? { headers: { "idempotency-key": key } } : {}) });
    const notGranted = await change(
      { distribution: "web", change: { kind: "comment", comment: "x" } },
      PIPELINE,
    );
    expect(notGranted.status).toBe(403);
    const rollback = await change({
      distribution: "web",
      change: { kind: "rollback", of: "RAAAAAA", writes: [] },
    });
    expect(rollback.status).toBe(400);
    expect((rollback.body.error as { message: string }).message).toMatch(/a rollback is asked for in Slack/);

    const asked = await change(
      { distribution: "web", change: { kind: "comment", comment: "Set by the agent" } },
      AGENT,
      "c-1",
    );
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({
      kind: "change",
      state: "awaiting-approval",
      change: expect.stringMatching(/comment/),
    });
    const again = await change(
      { distribution: "web", change: { kind: "comment", comment: "Set by the agent" } },
      AGENT,
      "c-1",
    );
    expect(again.status).toBe(200);
    const id = String(asked.body.id);
    const request = await bed.fake.waitForCall(
      "chat.postMessage",
      (m) => m.channel === "CWEBAPI" && new RegExp(`request ${id}`).test(String(m.text)),
    );
    expect(text(request)).toMatch(/agent `ops-agent` asks to/);
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);

    await bed.click("approval_approve", id, {
      userId: "UBOB",
      channelId: "CWEBAPI",
      messageTs: String(request.response?.ts),
    });
    const done = await api(`/api/v1/operations/${id}/wait?timeout=60`, { token: AGENT });
    expect(done.body).toMatchObject({ id, kind: "change", state: "deployed", final: true });
    expect(bed.strict.counts().UpdateDistribution).toBe(1);
  }, 90_000);

  it("hands off: the final state is POSTed to the callback once, signed, retried when refused", async () => {
    const elsewhere = await purge({
      distribution: "web",
      paths: ["/a"],
      callbackUrl: "https://evil.example/x",
    });
    expect(elsewhere.status).toBe(422);
    expect((elsewhere.body.error as { message: string }).message).toMatch(
      /evil.example is not among the hosts/,
    );

    const asked = await purge(
      { distribution: "web", paths: ["/handoff.html"], callbackUrl: receiverUrl },
      "handoff-1",
    );
    expect(asked.status).toBe(202);
    const id = String(asked.body.id);
    await bed.fake.waitFor(() => received.length >= 2 || undefined, {
      timeoutMs: 30_000,
      description: "the callback refused once, then taken",
    });
    // Nothing more arrives once it was taken: two more passes of the job.
    await bed.jobRuns("callbacks", 2);
    expect(received).toHaveLength(2);
    const [refused, taken] = received as [Received, Received];
    expect(taken.body).toBe(refused.body);
    const timestamp = Number(taken.headers["x-cdnbot-timestamp"]);
    expect(Math.abs(Date.now() / 1000 - timestamp)).toBeLessThan(60);
    const expected = createHmac("sha256", CALLBACK_SECRET)
      .update(`v1:${timestamp}:${taken.body}`)
      .digest("hex");
    expect(taken.headers["x-cdnbot-signature"]).toBe(`v1=${expected}`);
    expect(JSON.parse(taken.body)).toMatchObject({
      type: "operation.final",
      operation: { id, state: "completed", final: true, requestedBy: "pipeline:web-deploy" },
    });

    const audit = await bed.command("audit web --limit 50", { userId: "UBOB", channelId: "CWEBAPI" });
    const log = text(await bed.fake.waitForReply(audit.responseUrl));
    expect(log).toMatch(/Callback to 127\.0\.0\.1:\d+ failed \(answered 500\)/);
    expect(log).toMatch(/Callback to 127\.0\.0\.1:\d+ delivered \(completed, attempt 2\)/);
  }, 60_000);

  it("npx cdnbot: purges and waits, exits with a code a pipeline can branch on", async () => {
    const cdnbot = (args: string[], env: Record<string, string> = {}) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ["src/cli/cdnbot.mjs", ...args],
          {
            env: { PATH: process.env.PATH ?? "", CDNBOT_URL: bed.bot.url, CDNBOT_TOKEN: PIPELINE, ...env },
            encoding: "utf8",
            timeout: 60_000,
          },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const before = bed.strict.invalidationsCreated(bed.web.id);

    const done = await cdnbot(["purge", "web", "/cli.html", "--wait", "--idempotency-key", "cli-1"]);
    expect(done.stderr).not.toMatch(/refused|could not/);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(
      /^(R[0-9A-Z]{6}): purge of 1 path\(s\) on web: completed \(invalidation \S+\)\n$/,
    );
    const id = done.stdout.slice(0, 7);
    // The step retried: the same operation, no second invalidation.
    const again = await cdnbot(["purge", "web", "/cli.html", "--idempotency-key", "cli-1"]);
    expect(again.code).toBe(0);
    expect(again.stdout.slice(0, 7)).toBe(id);
    expect(bed.strict.invalidationsCreated(bed.web.id)).toBe(before + 1);

    const status = await cdnbot(["status", id, "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, state: "completed", final: true });

    const forbidden = await cdnbot(["purge", "shop", "/x.html"]);
    expect(forbidden.code).toBe(4);
    expect(forbidden.stderr).toMatch(
      /^cdnbot refused \(forbidden\): Client web-deploy may not use distribution shop\./,
    );

    const held = await cdnbot(["purge", "web", "/held/*", "--wait", "--timeout", "2s"]);
    expect(held.code).toBe(3);
    expect(held.stdout).toMatch(
      /awaiting-approval \(waiting for approval by anyone in the channel except the requester\)/,
    );

    // A tag reaches the API as a tag: web reads no cache tags, so it is refused, saying how to turn them on.
    const tagged = await cdnbot(["purge", "web", "tag:sale", "--json"]);
    expect(tagged.code).toBe(4);
    expect(tagged.stderr).toMatch(/`web` reads no cache tags from its origin.*\/cdn cache-tags web header=/);
    expect(JSON.parse(tagged.stdout).error.message).toMatch(/reads no cache tags/);

    const usage = await cdnbot(["purge", "web"]);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/Name a distribution and at least one path/);
    const nowhere = await cdnbot(["status", id], { CDNBOT_URL: "http://127.0.0.1:9" });
    expect(nowhere.code).toBe(5);
    expect(nowhere.stderr).toMatch(/could not connect/);
  }, 90_000);

  it("MCP: an agent's change over stdio waits for a person's approval in Slack; cdn_wait returns deployed", async () => {
    const agent = new Client({ name: "test-agent", version: "1.0.0" });
    await agent.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ["src/cli/cdnbot.mjs", "mcp"],
        env: { PATH: process.env.PATH ?? "", CDNBOT_URL: bed.bot.url, CDNBOT_TOKEN: AGENT },
        stderr: "pipe",
      }),
    );
    try {
      const { tools } = await agent.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect([...byName.keys()].sort()).toEqual([
        "cdn_abort",
        "cdn_access_logs",
        "cdn_change",
        "cdn_distribution",
        "cdn_environment_create",
        "cdn_environment_delete",
        "cdn_kv_keys",
        "cdn_pending_approvals",
        "cdn_promote",
        "cdn_purge",
        "cdn_stats",
        "cdn_status",
        "cdn_tenants",
        "cdn_wait",
      ]);
      expect(byName.get("cdn_status")?.annotations).toMatchObject({ readOnlyHint: true });
      expect(byName.get("cdn_tenants")?.annotations).toMatchObject({ readOnlyHint: true });
      expect(byName.get("cdn_change")?.annotations).toMatchObject({
        readOnlyHint: false,
        destructiveHint: true,
      });
      expect(byName.get("cdn_environment_delete")?.annotations).toMatchObject({ destructiveHint: true });
      expect(byName.get("cdn_promote")?.annotations).toMatchObject({ destructiveHint: true });
      expect(byName.get("cdn_abort")?.annotations).toMatchObject({ destructiveHint: false });
      expect(JSON.stringify(byName.get("cdn_change")?.inputSchema)).toMatch(/"staged"/);
      expect(byName.get("cdn_purge")?.description).toMatch(
        /wait for a person to approve in Slack.*USD 0\.005 a path/s,
      );

      const toolText = (result: Awaited<ReturnType<typeof agent.callTool>>) =>
        (result.content as { type: string; text: string }[])[0]!.text;
      const asked = await agent.callTool({
        name: "cdn_change",
        arguments: {
          distribution: "web",
          change: { kind: "comment", comment: "Asked by an agent over MCP" },
        },
      });
      expect(asked.isError).toBeFalsy();
      const id = /^(R[0-9A-Z]{6}) waits for a person to approve it in Slack/.exec(toolText(asked))?.[1];
      expect(id).toBeDefined();
      expect(toolText(asked)).toMatch(/You cannot approve it\. Call cdn_wait/);
      const keys = await agent.callTool({ name: "cdn_kv_keys", arguments: { store: "redirects" } });
      expect(keys.isError).toBeFalsy();
      expect(keys.structuredContent).toMatchObject({
        store: "redirects",
        keys: [{ key: "/old-pricing", value: "/pricing" }],
      });
      expect(byName.get("cdn_kv_keys")?.annotations).toMatchObject({ readOnlyHint: true });
      const tenants = await agent.callTool({ name: "cdn_tenants", arguments: { distribution: "web" } });
      expect(tenants.isError).toBeFalsy();
      expect(tenants.structuredContent).toMatchObject({ distribution: "web", tenants: [] });
      const pending = await agent.callTool({ name: "cdn_pending_approvals", arguments: {} });
      expect(toolText(pending)).toContain(String(id));

      const request = await bed.fake.waitForCall(
        "chat.postMessage",
        (m) => m.channel === "CWEBAPI" && new RegExp(`request ${id}`).test(String(m.text)),
      );
      expect(text(request)).toMatch(/agent `ops-agent` asks to change/);
      await bed.click("approval_approve", String(id), {
        userId: "UBOB",
        channelId: "CWEBAPI",
        messageTs: String(request.response?.ts),
      });
      const waited = await agent.callTool({ name: "cdn_wait", arguments: { id, timeoutSeconds: 60 } });
      expect(toolText(waited)).toMatch(new RegExp(`^${id} is deployed\\.`));

      const elsewhere = await agent.callTool({
        name: "cdn_purge",
        arguments: { distribution: "shop", paths: ["/x"] },
      });
      expect(elsewhere.isError).toBe(true);
      expect(toolText(elsewhere)).toMatch(/may not use distribution shop/);
    } finally {
      await agent.close();
    }
  }, 90_000);

  it("MCP over streamable HTTP at /mcp, with the same tokens", async () => {
    const connect = async (token: string) => {
      const agent = new Client({ name: "test-agent", version: "1.0.0" });
      await agent.connect(
        new StreamableHTTPClientTransport(new URL(`${bed.bot.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      return agent;
    };
    const agent = await connect(READER);
    try {
      const status = await agent.callTool({ name: "cdn_distribution", arguments: { distribution: "shop" } });
      expect(status.isError).toBeFalsy();
      expect((status.content as { text: string }[])[0]!.text).toContain(bed.others.shop!.id);
      // The reader's token is read-only: the write tools are listed, and refuse.
      const purged = await agent.callTool({
        name: "cdn_purge",
        arguments: { distribution: "shop", paths: ["/x"] },
      });
      expect(purged.isError).toBe(true);
      expect((purged.content as { text: string }[])[0]!.text).toMatch(/may not purge/);
      // What it answers is data a client can read without parsing a sentence, as its schema says.
      expect(status.structuredContent).toMatchObject({ distribution: "shop", id: bed.others.shop!.id });
      const { tools } = await agent.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      for (const tool of tools) expect(tool.outputSchema, tool.name).toBeDefined();
      // A write without a key is a new request each time: not idempotent, and it does not say so.
      expect(byName.get("cdn_purge")?.annotations?.idempotentHint).toBe(false);
      expect(byName.get("cdn_purge")?.description).toMatch(/untrusted/);
      expect(byName.get("cdn_status")?.outputSchema?.properties?.error).toMatchObject({
        description: expect.stringMatching(/^Why it failed.*Untrusted/),
      });
      // Its tools never change while it runs, and it says so.
      expect(agent.getServerCapabilities()?.tools?.listChanged).toBe(false);
    } finally {
      await agent.close();
    }
    await expect(connect(mintToken())).rejects.toThrow();
    // A web page's request (an Origin the config does not list) is refused before anything runs.
    const fromPage = await fetch(`${bed.bot.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${READER}`,
        origin: "http://evil.example",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(fromPage.status).toBe(403);
  }, 60_000);

  it("says precisely what is wrong with a request", async () => {
    const noPaths = await purge({ distribution: "web", paths: [] });
    expect(noPaths.status).toBe(400);
    expect(noPaths.body).toMatchObject({
      error: {
        code: "invalid_request",
        message: expect.stringMatching(/^paths: give at least one path or tag/),
      },
    });
    const extra = await purge({ distribution: "web", paths: ["/a"], force: true });
    expect(extra.status).toBe(400);
    const unknown = await purge({ distribution: "nope", paths: ["/a"] });
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe("not_found");
    // It names what this client may use, never the rest of the config.
    const named = (unknown.body as { error: { message: string } }).error.message;
    expect(named).toContain("`web`");
    expect(named).not.toContain("shop");
    expect(named).not.toContain(bed.others.shop!.id);
    // Half a UTF-16 pair is no character: a malformed request, naming the path, not a 500.
    const lone = await purge({ distribution: "web", paths: ["/ok.html", "/\uD800x"] });
    expect(lone.status).toBe(400);
    expect(lone.body).toMatchObject({
      error: {
        code: "invalid_request",
        message: expect.stringMatching(
          /^paths\.1: "\/\uFFFDx" holds half of a UTF-16 pair \(a lone surrogate/,
        ),
      },
    });
    const badPath = await purge({ distribution: "web", paths: ["no-slash"] });
    expect(badPath.status).toBe(422);
    expect(errorCode(badPath)).toBe("refused");
    // Tags, by themselves or as `#` paths: refused where CloudFront reads no cache tags, before AWS.
    const sent = bed.strict.counts().CreateInvalidation ?? 0;
    for (const body of [
      { distribution: "web", tags: ["product-42"] },
      { distribution: "web", paths: ["/a", "#sale"] },
    ]) {
      const tagged = await purge(body);
      expect(tagged.status).toBe(422);
      expect((tagged.body as { error: { message: string } }).error.message).toMatch(
        /`web` reads no cache tags from its origin/,
      );
    }
    const wildTag = await purge({ distribution: "web", tags: ["sale*"] });
    expect((wildTag.body as { error: { message: string } }).error.message).toMatch(/no `\*` wildcard/);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(sent);
    const notJson = await api("/api/v1/purges", {
      token: PIPELINE,
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(notJson.status).toBe(400);
    const missing = await api("/api/v1/operations/RZZZZZZ", { token: PIPELINE });
    expect(missing.status).toBe(404);
  });

  it("keeps each client to its rate and its open requests: 429 with Retry-After, and nothing done", async () => {
    const before = bed.strict.invalidationsCreated(bed.web.id);
    // Four at the same instant from a client allowed three a minute.
    const burst = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        purge({ distribution: "web", paths: [`/rate/${i}.html`] }, undefined, THROTTLED),
      ),
    );
    expect(burst.map((a) => a.status).sort()).toEqual([202, 202, 202, 429]);
    const refused = burst.find((a) => a.status === 429)!;
    expect(errorCode(refused)).toBe("refused");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    await bed.fake.waitFor(() => bed.strict.invalidationsCreated(bed.web.id) > before || undefined, {
      description: "the three allowed purges sent",
    });

    // Six wildcards at the same instant from a client allowed two open requests: two wait for
    // approval, four are refused (the limit is reserved, not counted after the fact).
    const opened = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) =>
        purge({ distribution: "web", paths: [`/open/${i}/*`] }, undefined, ASKER),
      ),
    );
    expect(opened.map((a) => a.status).sort()).toEqual([202, 202, 429, 429, 429, 429]);
    for (const held of opened.filter((a) => a.status === 202))
      expect(held.body.state).toBe("awaiting-approval");
    const pending = (await api("/api/v1/approvals", { token: ASKER })).body.pending as {
      requestedBy: string;
    }[];
    expect(pending.filter((p) => p.requestedBy === "pipeline:asker")).toHaveLength(2);
    const third = await purge({ distribution: "web", paths: ["/open/2.html"] }, undefined, ASKER);
    expect(third.status).toBe(429);
    expect((third.body.error as { message: string }).message).toMatch(/has 2 requests waiting for approval/);
  });

  it("holds a client to its own monthly path cap: past it, a purge waits for a person", async () => {
    const first = await purge(
      { distribution: "web", paths: ["/cap/a.html", "/cap/b.html"] },
      undefined,
      CAPPED,
    );
    expect(first.status).toBe(202);
    expect(first.body.state).not.toBe("awaiting-approval");
    // Two more would make four of its three: not sent, asked of a person instead.
    const past = await purge(
      { distribution: "web", paths: ["/cap/c.html", "/cap/d.html"] },
      undefined,
      CAPPED,
    );
    expect(past.status).toBe(202);
    expect(past.body.state).toBe("awaiting-approval");
    const asked = await bed.fake.waitForCall("chat.postMessage", (m) =>
      String(m.text).includes(`request ${String(past.body.id)}`),
    );
    expect(text(asked)).toMatch(/Pending approval/);
  });

  it("answers a path it does not have, and a method a path does not take, in JSON", async () => {
    const nope = await api("/api/v1/nope", { token: PIPELINE });
    expect(nope.status).toBe(404);
    expect(errorCode(nope)).toBe("not_found");
    const wrong = await api("/api/v1/purges", { token: PIPELINE, method: "GET" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect(errorCode(wrong)).toBe("invalid_request");
  });

  it("refuses query values its document does not allow, naming the parameter", async () => {
    for (const [path, name] of [
      ["/api/v1/operations/RZZZZZZ/wait?timeout=abc", "timeout"],
      ["/api/v1/operations/RZZZZZZ/wait?timeout=1.5", "timeout"],
      ["/api/v1/operations?limit=0", "limit"],
      ["/api/v1/distributions/web/stats?window=2h", "window"],
    ] as const) {
      const answer = await api(path, { token: READER });
      expect(answer.status, path).toBe(400);
      expect((answer.body.error as { message: string }).message).toMatch(new RegExp(`^${name}: `));
    }
  });

  it("serves a document openapi-typescript makes a strict, working client of: it purges and waits, typed", async () => {
    const doc = (await api("/api/v1/openapi.json")).body;
    // Inside the checkout, so the client resolves openapi-fetch from its node_modules.
    const dir = join(import.meta.dirname, "..", "..", ".cache", `openapi-client-${process.pid}`);
    await mkdir(dir, { recursive: true });
    try {
      await writeFile(join(dir, "api.d.ts"), astToString(await openapiTS(doc as never)));
      await writeFile(join(dir, "client.ts"), GENERATED_CLIENT_USE);
      const program = ts.createProgram([join(dir, "client.ts")], {
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
        skipLibCheck: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: [],
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      expect(problems).toEqual([]);

      const client = (await import(join(dir, "client.ts"))) as {
        purgeAndWait: (base: string, token: string, path: string) => Promise<Record<string, unknown>>;
        missingOperation: (base: string, token: string) => Promise<string>;
      };
      const done = await client.purgeAndWait(bed.bot.url, PIPELINE, "/typed-client.html");
      expect(done).toMatchObject({ state: "completed", final: true, paths: ["/typed-client.html"] });
      expect(done.invalidationId).toEqual(expect.any(String));
      expect(await client.missingOperation(bed.bot.url, PIPELINE)).toBe("not_found");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("answers on every route as its OpenAPI document says: statuses, headers and bodies (Ajv)", async () => {
    const doc = (await api("/api/v1/openapi.json")).body as unknown as OpenApi;
    expect(doc.openapi).toBe("3.1.0");
    // Every authenticated route without a token, and the reads a client is not scoped for.
    for (const [path, spec] of Object.entries(doc.paths))
      for (const method of Object.keys(spec)) {
        if (path === "/api/v1/openapi.json") continue;
        const concrete = path.replace("{id}", "RZZZZZZ").replace("{name}", "web");
        expect((await api(concrete, { method: method.toUpperCase() })).status).toBe(401);
      }
    await api("/api/v1/operations?distribution=shop", { token: PIPELINE });
    await api("/api/v1/distributions/shop", { token: PIPELINE });
    await api("/api/v1/distributions/web", { token: PIPELINE });
    await api("/api/v1/distributions/web/stats", { token: PIPELINE });
    // A multi-tenant distribution's tenants, as the MCP tool and the CLI read them too.
    const none = await api("/api/v1/distributions/web/tenants", { token: PIPELINE });
    expect(none.body).toMatchObject({ distribution: "web", tenants: [] });
    const acme = bed.strict.addTenant(bed.web.id, { name: "acme", domains: ["acme.example.com"] });
    const listed = await api("/api/v1/distributions/web/tenants", { token: PIPELINE });
    expect(listed.body).toMatchObject({
      tenants: [{ id: acme, name: "acme", domains: ["acme.example.com"], enabled: true }],
    });
    expect((await api("/api/v1/distributions/shop/tenants", { token: PIPELINE })).status).toBe(403);
    // A key-value store's keys: read by a client scoped to it, changed through the changes endpoint.
    const keys = await api("/api/v1/key-value-stores/redirects/keys?prefix=/old", { token: READER });
    expect(keys.body).toMatchObject({ store: "redirects", itemCount: 1, keys: [{ key: "/old-pricing" }] });
    expect((await api("/api/v1/key-value-stores/redirects/keys", { token: PIPELINE })).status).toBe(403);
    expect((await api("/api/v1/key-value-stores/nosuch/keys", { token: READER })).status).toBe(404);
    const storeChange = await api("/api/v1/changes", {
      token: AGENT,
      body: { distribution: "redirects", change: { kind: "kv", set: { "/new": "/landing" } } },
    });
    expect(storeChange.status).toBe(202);
    expect(storeChange.body).toMatchObject({
      kind: "change",
      distribution: "redirects",
      state: "awaiting-approval",
      change: "key `/new`: (none) → `/landing`",
    });
    // Found among the client's operations, as a distribution's are.
    const mine = await api("/api/v1/operations?limit=50", { token: AGENT });
    expect((mine.body.operations as { id: string }[]).map((o) => o.id)).toContain(storeChange.body.id);
    // A change of one tenant, through the same endpoint, named `<distribution>/<tenant>`.
    const tenantChange = await api("/api/v1/changes", {
      token: AGENT,
      body: { distribution: "web/acme", change: { kind: "enabled", enabled: false } },
    });
    expect(tenantChange.status).toBe(202);
    expect(tenantChange.body).toMatchObject({
      kind: "change",
      distribution: "web",
      tenant: "acme",
      state: "awaiting-approval",
      change: expect.stringMatching(/^tenant · enabled: yes → no$/),
    });
    // A staged change: its share shown while it waits for approval; nothing to promote or abort yet.
    const staged = await api("/api/v1/changes", {
      token: AGENT,
      body: {
        distribution: "web",
        change: { kind: "price-class", priceClass: "PriceClass_200" },
        staged: { weight: 0.05 },
      },
    });
    expect(staged.status).toBe(202);
    expect(staged.body).toMatchObject({
      state: "awaiting-approval",
      staged: { share: "5% of requests", phase: "setting-up" },
    });
    const tooEarly = await api(`/api/v1/changes/${staged.body.id}/abort`, { token: AGENT, body: {} });
    expect(tooEarly.status).toBe(422);
    expect(tooEarly.body).toMatchObject({ error: { message: expect.stringMatching(/waits for approval/) } });
    const tooMuch = await api("/api/v1/changes", {
      token: AGENT,
      body: {
        distribution: "web",
        change: { kind: "price-class", priceClass: "PriceClass_200" },
        staged: { weight: 5 },
      },
    });
    expect(tooMuch.status).toBe(400);
    // Break-glass is for people in Slack: the API has no way to ask for it, and says so.
    const glass = await api("/api/v1/changes", {
      token: AGENT,
      body: {
        distribution: "web",
        change: { kind: "price-class", priceClass: "PriceClass_100" },
        breakGlass: "origin melting",
      },
    });
    expect(glass.status).toBe(400);
    expect(glass.body).toMatchObject({ error: { message: expect.stringMatching(/breakGlass/) } });
    expect((await api("/api/v1/changes/RZZZZZZ/promote", { token: AGENT, body: {} })).status).toBe(404);
    await api("/api/v1/environments", { token: READER });
    // The bed's distributions log nowhere: the summary says so, in the documented shape.
    const logs = await api("/api/v1/distributions/web/logs?window=2h&status=5xx", { token: READER });
    expect(logs.status).toBe(200);
    expect(logs.body).toMatchObject({ state: "logging-off", requests: 0, filter: { status: "5xx" } });
    expect((await api("/api/v1/distributions/web/logs?window=3d", { token: READER })).status).toBe(400);
    expect((await api("/api/v1/distributions/web/logs?ip=203.0.113.9", { token: READER })).status).toBe(403);
    await api("/api/v1/approvals", { token: READER });
    await api("/api/v1/operations?limit=5", { token: READER });
    await api("/api/v1/environments/nosuch", { token: PIPELINE, method: "DELETE" });

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    // ajv-formats is CommonJS: its function is the module itself under Node's ESM interop.
    (formats as unknown as (a: Ajv2020) => void)(ajv);
    ajv.addSchema({ $id: "doc", components: doc.components }, "doc");
    const resolve = (schema: object) =>
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"doc#/components'));
    const mismatches: string[] = [];
    const covered = new Set<string>();
    for (const a of answered) {
      const path = a.path.split("?")[0]!;
      const template = Object.keys(doc.paths).find((t) =>
        new RegExp(`^${t.replace(/\{\w+\}/g, "[^/]+")}$`).test(path),
      );
      const operation = template ? doc.paths[template]?.[a.method.toLowerCase()] : undefined;
      const what = `${a.method} ${a.path} → ${a.status}`;
      if (!operation) {
        // Only the 404 and 405 answers are for what the document does not have.
        if (!(a.status === 404 && !template) && !(a.status === 405 && template))
          mismatches.push(`${what}: undocumented route`);
        continue;
      }
      covered.add(`${a.method} ${template}`);
      const response = operation.responses[String(a.status)];
      if (!response) {
        mismatches.push(`${what}: status not in the document`);
        continue;
      }
      for (const header of Object.keys(response.headers ?? {}))
        if (a.headers.get(header) === null) mismatches.push(`${what}: no ${header} header`);
      const schema = response.content?.["application/json"]?.schema;
      if (schema && !ajv.validate(resolve(schema), a.body))
        mismatches.push(`${what}: ${ajv.errorsText(ajv.errors)}`);
    }
    expect(mismatches).toEqual([]);
    // Every route was called at least once, with its real answers checked.
    const routes = Object.entries(doc.paths).flatMap(([t, spec]) =>
      Object.keys(spec).map((m) => `${m.toUpperCase()} ${t}`),
    );
    expect(routes.filter((r) => !covered.has(r))).toEqual([]);
    expect(routes.length).toBeGreaterThanOrEqual(12);
  });
});

type OpenApi = {
  openapi: string;
  components: object;
  paths: Record<
    string,
    Record<
      string,
      {
        responses: Record<
          string,
          { headers?: Record<string, unknown>; content?: Record<string, { schema: object }> }
        >;
      }
    >
  >;
};

/**
 * A pipeline's use of the client openapi-typescript and openapi-fetch make from the served document:
 * compiled strictly (a route, parameter or answer the document leaves untyped fails to compile),
 * then run against the bot.
 */
const GENERATED_CLIENT_USE = `
import createClient from "openapi-fetch";
import type { paths } from "./api.js";

export async function purgeAndWait(baseUrl: string, token: string, path: string) {
  const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${token}\` } });
  const made = await client.POST("/api/v1/purges", {
    params: { header: { "Idempotency-Key": \`typed-\${path}\` } },
    body: { distribution: "web", paths: [path] },
  });
  if (!made.data) throw new Error(\`refused: \${made.error.error.code}: \${made.error.error.message}\`);
  const id: string = made.data.id;
  for (let ask = 0; ask < 10; ask++) {
    const waited = await client.GET("/api/v1/operations/{id}/wait", {
      params: { path: { id }, query: { timeout: 20 } },
    });
    if (!waited.data) throw new Error(\`wait failed: \${waited.error.error.message}\`);
    const state: "completed" | "failed" | (string & {}) = waited.data.state;
    if (waited.data.final) return { ...waited.data, state };
  }
  throw new Error("still not final after ten waits");
}

export async function missingOperation(baseUrl: string, token: string): Promise<string> {
  const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${token}\` } });
  const answer = await client.GET("/api/v1/operations/{id}", { params: { path: { id: "RZZZZZZ" } } });
  return answer.error ? answer.error.error.code : "found";
}
`;
