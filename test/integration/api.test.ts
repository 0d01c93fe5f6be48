import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken, mintToken } from "../../src/api/api-clients.js";
import type { RecordedCall } from "../support/fake-slack.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

const PIPELINE = mintToken();
const READER = mintToken();
let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 1000 },
    otherDistributions: ["shop"],
    // The first lines continue `web`'s block: its channel for API requests.
    extraConfig: (_web, others) =>
      [
        "    channel: CWEBAPI",
        "  shop:",
        `    id: ${others.shop?.id}`,
        "    channel: CSHOPAPI",
        "api:",
        "  clients:",
        "    web-deploy:",
        `      tokenHash: ${hashToken(PIPELINE)}`,
        "      distributions: [web]",
        "      actions: [purge]",
        "    reader:",
        "      kind: agent",
        `      tokenHash: ${hashToken(READER)}`,
        '      distributions: ["*"]',
        "",
      ].join("\n"),
  });
});
afterAll(async () => {
  await bed?.close();
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
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const purge = (body: unknown, key?: string, token = PIPELINE) =>
  api("/api/v1/purges", { token, body, ...(key ? { headers: { "idempotency-key": key } } : {}) });
const errorCode = (a: Answer) => (a.body.error as { code: string }).code;
const text = (c: RecordedCall) => String(c.body.text ?? "");
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

  it("says precisely what is wrong with a request", async () => {
    const noPaths = await purge({ distribution: "web", paths: [] });
    expect(noPaths.status).toBe(400);
    expect(noPaths.body).toMatchObject({
      error: { code: "invalid_request", message: expect.stringMatching(/^paths: /) },
    });
    const extra = await purge({ distribution: "web", paths: ["/a"], force: true });
    expect(extra.status).toBe(400);
    const unknown = await purge({ distribution: "nope", paths: ["/a"] });
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe("not_found");
    const badPath = await purge({ distribution: "web", paths: ["no-slash"] });
    expect(badPath.status).toBe(422);
    expect(errorCode(badPath)).toBe("refused");
    const notJson = await api("/api/v1/purges", {
      token: PIPELINE,
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(notJson.status).toBe(400);
    const missing = await api("/api/v1/operations/RZZZZZZ", { token: PIPELINE });
    expect(missing.status).toBe(404);
  });

  it("describes itself in an OpenAPI document", async () => {
    const doc = await api("/api/v1/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe("3.1.0");
    expect(Object.keys(doc.body.paths as object)).toEqual(
      expect.arrayContaining(["/api/v1/purges", "/api/v1/operations/{id}/wait"]),
    );
  });
});
