import { WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseSandboxArgs } from "../../src/sandbox/run-sandbox.js";
import { escapeTypedText } from "../../src/sandbox/sandbox-page.js";
import { type SlackStandIn, startSlackStandIn } from "../../src/sandbox/slack-standin.js";
import { SANDBOX_BOT, SlackWorkspace, type WorkspaceEvent } from "../../src/sandbox/slack-workspace.js";
import { REQUIRED_BOT_SCOPES } from "../../src/slack/slack-scopes.js";

const TOKEN = "xoxb-sandbox";
let standIn: SlackStandIn;
let workspace: SlackWorkspace;
let client: WebClient;
let events: WorkspaceEvent[];

beforeEach(async () => {
  let base = "";
  workspace = new SlackWorkspace(() => base);
  standIn = await startSlackStandIn({ workspace, botToken: TOKEN, onListening: (url) => (base = url) });
  client = new WebClient(TOKEN, { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 } });
  events = [];
  workspace.subscribe((e) => events.push(e));
});
afterEach(async () => {
  await standIn.close();
});

describe("the sandbox's Slack, through Slack's own Web API client", () => {
  it("stamps each message with when it was posted, not when the sandbox started", async () => {
    let now = Date.UTC(2026, 11, 4, 1, 55);
    const clocked = new SlackWorkspace(
      () => "",
      () => now,
    );
    const stamped: string[] = [];
    clocked.subscribe((e) => {
      if (e.kind === "message") stamped.push(e.message.ts);
    });
    const standInAt = await startSlackStandIn({
      workspace: clocked,
      botToken: TOKEN,
      onListening: () => undefined,
    });
    try {
      const web = new WebClient(TOKEN, { slackApiUrl: standInAt.apiUrl, retryConfig: { retries: 0 } });
      await web.chat.postMessage({ channel: "C0DEPLOYS", text: "first" });
      now += 90 * 60_000;
      await web.chat.postMessage({ channel: "C0DEPLOYS", text: "later" });
    } finally {
      await standInAt.close();
    }
    expect(stamped.map((ts) => Math.floor(Number(ts)) * 1000)).toEqual([
      Date.UTC(2026, 11, 4, 1, 55),
      Date.UTC(2026, 11, 4, 3, 25),
    ]);
  });

  it("answers auth.test with the bot's identity and the manifest's scopes", async () => {
    const out = await client.auth.test();
    expect(out).toMatchObject({ ok: true, user_id: SANDBOX_BOT.userId, team: "Sandbox" });
    expect(out.response_metadata?.scopes).toEqual(Object.keys(REQUIRED_BOT_SCOPES));
  });

  it("refuses another token, as Slack does", async () => {
    const stranger = new WebClient("xoxb-wrong", {
      slackApiUrl: standIn.apiUrl,
      retryConfig: { retries: 0 },
    });
    await expect(stranger.auth.test()).rejects.toThrow(/invalid_auth/);
  });

  it("posts, threads and updates messages with their blocks, and tells the page", async () => {
    const blocks = [{ type: "section", text: { type: "mrkdwn", text: "*Purge* of web" } }];
    const parent = await client.chat.postMessage({ channel: "C0DEPLOYS", text: "Purge of web", blocks });
    const reply = await client.chat.postMessage({
      channel: "C0DEPLOYS",
      thread_ts: parent.ts!,
      text: "Created",
    });
    await client.chat.update({
      channel: "C0DEPLOYS",
      ts: parent.ts!,
      text: "Purge of web: Completed",
      blocks,
    });

    expect(workspace.visibleIn("C0DEPLOYS", "U0ALICE")).toEqual([
      expect.objectContaining({ ts: parent.ts, text: "Purge of web: Completed", blocks, edited: true }),
      expect.objectContaining({ ts: reply.ts, threadTs: parent.ts, text: "Created" }),
    ]);
    expect(events.map((e) => e.kind)).toEqual(["message", "message", "update"]);
    expect(Number(reply.ts)).toBeGreaterThan(Number(parent.ts));
  });

  it("refuses what Slack refuses: an unknown channel, thread or message", async () => {
    await expect(client.chat.postMessage({ channel: "C0NOPE", text: "x" })).rejects.toThrow(
      /channel_not_found/,
    );
    await expect(
      client.chat.postMessage({ channel: "C0DEPLOYS", thread_ts: "1.000001", text: "x" }),
    ).rejects.toThrow(/thread_not_found/);
    await expect(client.chat.update({ channel: "C0DEPLOYS", ts: "1.000001", text: "x" })).rejects.toThrow(
      /message_not_found/,
    );
    const typed = workspace.postAsPerson("U0ALICE", "C0DEPLOYS", "hello");
    await expect(client.chat.update({ channel: "C0DEPLOYS", ts: typed.ts, text: "x" })).rejects.toThrow(
      /cant_update_message/,
    );
  });

  it("shows an ephemeral message, and a response_url reply, to one person only", async () => {
    await client.chat.postEphemeral({ channel: "C0DEPLOYS", user: "U0ALICE", text: "Only you" });
    const responseUrl = standIn.responseUrl("U0BOB", "C0DEPLOYS");
    const answer = await fetch(responseUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_type: "ephemeral", text: "Usage: /cdn purge …" }),
    });

    expect(answer.status).toBe(200);
    expect(workspace.visibleIn("C0DEPLOYS", "U0ALICE").map((m) => m.text)).toEqual(["Only you"]);
    expect(workspace.visibleIn("C0DEPLOYS", "U0BOB").map((m) => m.text)).toEqual(["Usage: /cdn purge …"]);
    expect(workspace.visibleIn("C0DEPLOYS", "U0CAROL")).toEqual([]);
    const unknown = await fetch(`${standIn.url}/response/not-a-token`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
  });

  it("takes a file upload in three steps (files.uploadV2) and serves the image in the thread", async () => {
    const parent = await client.chat.postMessage({ channel: "C0DEPLOYS", text: "Stats" });
    const png = Buffer.from("89504e470d0a1a0a0000", "hex");
    await client.files.uploadV2({
      channel_id: "C0DEPLOYS",
      thread_ts: parent.ts!,
      file: png,
      filename: "web-stats.png",
      title: "web, last 3 hours",
    });

    const shown = workspace.visibleIn("C0DEPLOYS", "U0ALICE").find((m) => m.files);
    expect(shown).toMatchObject({ threadTs: parent.ts, files: [{ title: "web, last 3 hours" }] });
    const image = await fetch(shown!.files![0]!.url);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await image.arrayBuffer())).toEqual(png);
  });

  it("keeps each person's Home tab, links messages, knows its channels and user groups", async () => {
    await client.views.publish({ user_id: "U0BOB", view: { type: "home", blocks: [] } });
    expect(workspace.homes.get("U0BOB")).toEqual({ type: "home", blocks: [] });
    expect(events.at(-1)).toEqual({ kind: "home", user: "U0BOB", view: { type: "home", blocks: [] } });

    const posted = await client.chat.postMessage({ channel: "C0INCIDENTS", text: "Alert" });
    const link = await client.chat.getPermalink({ channel: "C0INCIDENTS", message_ts: posted.ts! });
    expect(link.permalink).toBe(`${standIn.url}/archives/C0INCIDENTS/p${posted.ts!.replace(".", "")}`);
    expect((await client.conversations.info({ channel: "C0INCIDENTS" })).channel?.name).toBe("incidents");

    workspace.userGroups.set("S0PLATFORM", ["U0BOB"]);
    expect((await client.usergroups.users.list({ usergroup: "S0PLATFORM" })).users).toEqual(["U0BOB"]);
    await expect(client.usergroups.users.list({ usergroup: "S0NOPE" })).rejects.toThrow(/no_such_subteam/);
  });
});

describe("text typed in the sandbox's page", () => {
  it("reaches the bot escaped as Slack's client sends it: entities, channel and person ids, links", () => {
    expect(escapeTypedText("watch web #incidents @bob <b>&</b> https://example.com/x", workspace)).toBe(
      "watch web <#C0INCIDENTS|incidents> <@U0BOB|bob> &lt;b&gt;&amp;&lt;/b&gt; <https://example.com/x>",
    );
    expect(escapeTypedText("#nochannel @nobody", workspace)).toBe("#nochannel @nobody");
  });
});

describe("npm run sandbox's arguments", () => {
  it("takes a port, a speed and a data directory, and refuses anything else in one sentence", () => {
    expect(parseSandboxArgs([])).toEqual({ port: 3300, speed: 1 });
    expect(parseSandboxArgs(["--port", "0", "--speed", "10", "--data", "/tmp/x"])).toEqual({
      port: 0,
      speed: 10,
      data: "/tmp/x",
    });
    expect(() => parseSandboxArgs(["--speed", "fast"])).toThrow(
      /--speed takes a number from 0.1 to 1000, not fast/,
    );
    expect(() => parseSandboxArgs(["--port", "99999"])).toThrow(/--port takes a port number/);
    expect(() => parseSandboxArgs(["--colour"])).toThrow(/I don't know the argument --colour/);
  });
});
