import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken, mintToken } from "../../src/api/api-clients.js";
import { blockActionPayload, slashCommandBody } from "../support/slack-signer.js";
import { requestIdIn, text } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;
const TOKEN = mintToken();

beforeAll(async () => {
  bed = await startTestBed({
    socketMode: true,
    strict: { invalidationCompletesAfterMs: 300 },
    extraConfig: () =>
      `    channel: CAPI\napi:\n  clients:\n    deploy:\n      tokenHash: ${hashToken(TOKEN)}\n      distributions: [web]\n      actions: [purge]\n`,
  });
});
afterAll(async () => {
  await bed?.close();
});

/** A slash command as Socket Mode delivers it: the same fields as over HTTP, as JSON. */
function command(commandText: string, as: { userId?: string; channelId?: string } = {}) {
  const responseUrl = bed.fake.responseUrl();
  const payload = Object.fromEntries(
    new URLSearchParams(slashCommandBody({ text: commandText, responseUrl, ...as })).entries(),
  );
  return { responseUrl, envelope: { type: "slash_commands" as const, payload } };
}

async function completed(channelId: string) {
  const parent = await bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.channel === channelId && !b.thread_ts,
  );
  await bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.thread_ts === parent.response?.ts && /Completed in/.test(String(b.text)),
    15_000,
  );
}

describe("Socket Mode", () => {
  it("connects with the app-level token, through SLACK_API_URL, with no signing secret", async () => {
    await bed.socket!.connected();
    expect(bed.fake.callsTo("apps.connections.open")).toHaveLength(1);
    expect(bed.bot.output()).toMatch(/"mode":"socket"/);
    expect(bed.bot.output()).not.toContain("xapp-1-AFAKE-1-test");
  });

  it("acknowledges a slash command envelope within 3 s, then purges and reports in the thread", async () => {
    const { envelope } = command("purge web /socket.html", { channelId: "CSOCKET" });

    const ack = await bed.socket!.deliver(envelope);

    expect(ack.afterMs).toBeLessThan(3000);
    await completed("CSOCKET");
    expect(bed.strict.counts().CreateInvalidation).toBe(1);
  });

  it("acknowledges a button click envelope and acts on it", async () => {
    const ask = command("purge web /img/*", { channelId: "CSOCKET2", userId: "UALICE" });
    await bed.socket!.deliver(ask.envelope);
    const request = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CSOCKET2" && /Pending approval/.test(String(b.text)),
    );
    const requestId = requestIdIn(text(request));
    const responseUrl = bed.fake.responseUrl();

    const ack = await bed.socket!.deliver({
      type: "interactive",
      payload: blockActionPayload({
        actionId: "approval_approve",
        value: requestId,
        userId: "UBOB",
        channelId: "CSOCKET2",
        messageTs: String(request.response?.ts),
        responseUrl,
      }),
    });

    expect(ack.afterMs).toBeLessThan(3000);
    expect(text(await bed.fake.waitForReply(responseUrl))).toMatch(`You approved request ${requestId}`);
  });

  it("serves the HTTP API for pipelines on PORT, beside the health checks", async () => {
    const res = await fetch(`${bed.bot.url}/api/v1/purges`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ distribution: "web", paths: ["/socket.html"] }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ requestedBy: "pipeline:deploy", distribution: "web" });
    await completed("CAPI");
  });

  it("reconnects when Slack drops the connection, and keeps serving", async () => {
    const before = bed.socket!.connections();

    bed.socket!.dropAll();
    await bed.fake.waitFor(() => bed.socket!.connections() > before || undefined, {
      description: "a new Socket Mode connection",
      timeoutMs: 20_000,
    });
    await bed.socket!.connected();

    expect(bed.fake.callsTo("apps.connections.open").length).toBeGreaterThanOrEqual(2);
    const { envelope } = command("purge web /after-reconnect.html", { channelId: "CSOCKET3" });
    const ack = await bed.socket!.deliver(envelope);
    expect(ack.afterMs).toBeLessThan(3000);
    await completed("CSOCKET3");
  });
});
