import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { REQUIRED_BOT_SCOPES } from "../../src/slack/slack-scopes.js";
import { blocksProblem } from "./block-limits.js";

export type RecordedCall = {
  method: string;
  path: string;
  body: Record<string, unknown>;
  token?: string;
  at: number;
  /** What the fake answered. */
  response?: Record<string, unknown>;
};

type Fault = ({ kind: "error"; error: string } | { kind: "rate-limit"; retryAfterSeconds: number }) & {
  /** Only a call made with this token meets the fault (another process's calls pass it by). */
  token?: string;
};

export type FakeSlack = {
  apiUrl: string;
  baseUrl: string;
  calls: RecordedCall[];
  uploadedFiles: Map<string, Buffer>;
  responseUrl(id?: string): string;
  callsTo(method: string): RecordedCall[];
  waitFor<T>(
    predicate: (calls: RecordedCall[]) => T | undefined | false,
    options?: { timeoutMs?: number; description?: string },
  ): Promise<T>;
  waitForCall(
    method: string,
    match?: (body: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<RecordedCall>;
  /** The bot's answer posted to this response_url (what `respond()` sends). */
  waitForReply(responseUrl: string): Promise<RecordedCall>;
  /** The next call of `method` (made with `token`, when given) answers this error. */
  failNext(method: string, error: string, token?: string): void;
  rateLimitNext(method: string, retryAfterSeconds: number): void;
  setNotInChannel(channel: string, notIn?: boolean): void;
  setUserGroup(groupId: string, users: string[]): void;
  /** Where `apps.connections.open` sends a Socket Mode client (a local WebSocket stand-in). */
  setSocketModeUrl(url: string): void;
  /** The scopes the bot token has (sent as `x-oauth-scopes`, as Slack does). */
  setBotScopes(scopes: string[]): void;
  /** Whether this workspace takes native tables and charts; off, Slack refuses them (`invalid_blocks`). */
  setNativeBlocks(on: boolean): void;
  reset(): void;
  close(): Promise<void>;
};

const JSON_FIELDS = ["blocks", "attachments", "files", "metadata", "view", "outputs"];

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseFields(raw: Buffer, contentType: string): Record<string, unknown> {
  const text = raw.toString("utf8");
  let body: Record<string, unknown> = {};
  if (contentType.includes("application/json"))
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  else body = Object.fromEntries(new URLSearchParams(text));
  for (const field of JSON_FIELDS) {
    const value = body[field];
    if (typeof value === "string") {
      try {
        body[field] = JSON.parse(value);
      } catch {
        // Leave it: the test will see the raw string.
      }
    }
  }
  return body;
}

/** A small fake of Slack's Web API on loopback that records every call the bot makes. */
export async function startFakeSlack(
  options: { botUserId?: string; teamId?: string } = {},
): Promise<FakeSlack> {
  const botUserId = options.botUserId ?? "UBOT";
  const teamId = options.teamId ?? "T0001";
  const calls: RecordedCall[] = [];
  const uploadedFiles = new Map<string, Buffer>();
  const faults = new Map<string, Fault[]>();
  const notInChannel = new Set<string>();
  const userGroups = new Map<string, string[]>();
  const messages = new Set<string>();
  /** What the bot posted, as conversations.history and .replies give it back. */
  const posted: { channel: string; ts: string; threadTs?: string; text: unknown; metadata?: unknown }[] = [];
  let tsCounter = 100;
  let socketModeUrl: string | undefined;
  let botScopes = Object.keys(REQUIRED_BOT_SCOPES);
  let nativeBlocks = true;
  let baseUrl = "";

  // Real seconds, as Slack's are (a bot looking for its earlier post reads "since when"), and a
  // counter that keeps every ts unique.
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(tsCounter++).padStart(6, "0")}`;

  function answer(method: string, body: Record<string, unknown>): Record<string, unknown> {
    const channel = String(body.channel ?? body.channel_id ?? "");
    const blockedChannel = channel && notInChannel.has(channel);
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: "https://fake.slack.com/",
          team: "Fake",
          user: "cdnbot",
          team_id: teamId,
          user_id: botUserId,
          bot_id: "BBOT",
        };
      case "apps.connections.open":
        // Slack answers an app-level token with a WebSocket URL to connect to.
        return socketModeUrl ? { ok: true, url: socketModeUrl } : { ok: false, error: "invalid_auth" };
      case "chat.postMessage": {
        if (blockedChannel) return { ok: false, error: "not_in_channel" };
        const ts = nextTs();
        messages.add(`${channel}/${ts}`);
        posted.push({
          channel,
          ts,
          text: body.text,
          ...(body.thread_ts ? { threadTs: String(body.thread_ts) } : {}),
          ...(body.metadata ? { metadata: body.metadata } : {}),
        });
        return { ok: true, channel, ts, message: { text: body.text, ts, user: botUserId } };
      }
      case "chat.update": {
        if (blockedChannel) return { ok: false, error: "not_in_channel" };
        if (!messages.has(`${channel}/${String(body.ts)}`)) return { ok: false, error: "message_not_found" };
        return { ok: true, channel, ts: body.ts, text: body.text };
      }
      case "chat.getPermalink":
        return {
          ok: true,
          channel,
          permalink: `https://fake.slack.com/archives/${channel}/p${String(body.message_ts).replace(".", "")}`,
        };
      case "conversations.history":
      case "conversations.replies": {
        if (!botScopes.includes(channel.startsWith("G") ? "groups:history" : "channels:history"))
          return { ok: false, error: "missing_scope" };
        const oldest = Number(body.oldest ?? 0);
        const thread = method === "conversations.replies" ? String(body.ts) : undefined;
        // Newest first for the channel, oldest first for a thread, as Slack gives them.
        const found = posted.filter(
          (m) =>
            m.channel === channel &&
            Number(m.ts) >= oldest &&
            (thread ? m.ts === thread || m.threadTs === thread : !m.threadTs),
        );
        const ordered = thread ? found : [...found].reverse();
        return {
          ok: true,
          has_more: false,
          messages: ordered.map((m) => ({
            type: "message",
            user: botUserId,
            ts: m.ts,
            text: m.text,
            ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
            ...(body.include_all_metadata && m.metadata ? { metadata: m.metadata } : {}),
          })),
        };
      }
      case "chat.postEphemeral":
        return { ok: true, message_ts: nextTs() };
      case "conversations.info":
        return { ok: true, channel: { id: channel, name: `chan-${channel}`, is_member: !blockedChannel } };
      case "usergroups.users.list": {
        const users = userGroups.get(String(body.usergroup));
        return users ? { ok: true, users } : { ok: false, error: "no_such_subteam" };
      }
      case "files.getUploadURLExternal": {
        const fileId = `F${randomUUID().slice(0, 8).toUpperCase()}`;
        return { ok: true, upload_url: `${baseUrl}/upload/${fileId}`, file_id: fileId };
      }
      case "files.completeUploadExternal": {
        if (blockedChannel) return { ok: false, error: "not_in_channel" };
        const files = Array.isArray(body.files) ? (body.files as { id: string; title?: string }[]) : [];
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title ?? "" })) };
      }
      default:
        return { ok: true };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? "/";
    const raw = await readBody(req);
    const contentType = req.headers["content-type"] ?? "";
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : undefined;
    const send = (status: number, payload: Record<string, unknown>, headers: Record<string, string> = {}) => {
      // Slack names the token's scopes on every Web API answer.
      res.writeHead(status, {
        "content-type": "application/json",
        "x-oauth-scopes": botScopes.join(","),
        ...headers,
      });
      res.end(JSON.stringify(payload));
    };

    if (path.startsWith("/upload/")) {
      const fileId = path.slice("/upload/".length);
      let bytes = raw;
      if (contentType.includes("multipart/form-data")) {
        const form = await new Request("http://fake/upload", {
          method: "POST",
          headers: { "content-type": contentType },
          body: raw,
        }).formData();
        for (const value of form.values()) {
          if (typeof value !== "string") bytes = Buffer.from(await value.arrayBuffer());
        }
      }
      uploadedFiles.set(fileId, bytes);
      calls.push({
        method: "file_upload",
        path,
        body: { file_id: fileId, bytes: bytes.length },
        at: Date.now(),
        ...(token ? { token } : {}),
      });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`OK - ${bytes.length}`);
      return;
    }

    let body: Record<string, unknown>;
    try {
      body = parseFields(raw, contentType);
    } catch {
      send(400, { ok: false, error: "invalid_json" });
      return;
    }

    if (path.startsWith("/response/")) {
      const problem = blocksProblem(body.blocks, nativeBlocks);
      const response = problem ? { ok: false, error: "invalid_blocks", problem } : { ok: true };
      calls.push({ method: "response_url", path, body, at: Date.now(), response });
      send(problem ? 400 : 200, response);
      return;
    }

    const method = path.replace(/^\/api\//, "").split("?")[0] ?? "";
    const queued = faults.get(method) ?? [];
    const at = queued.findIndex((f) => f.token === undefined || f.token === token);
    const fault = at >= 0 ? queued.splice(at, 1)[0] : undefined;
    const call: RecordedCall = { method, path, body, at: Date.now(), ...(token ? { token } : {}) };
    calls.push(call);
    if (fault?.kind === "rate-limit") {
      call.response = { ok: false, error: "ratelimited" };
      send(429, call.response, { "retry-after": String(fault.retryAfterSeconds) });
      return;
    }
    const refused = /^chat\.(postMessage|update|postEphemeral)$/.test(method)
      ? blocksProblem(body.blocks, nativeBlocks)
      : undefined;
    const response =
      fault?.kind === "error"
        ? { ok: false, error: fault.error }
        : refused
          ? { ok: false, error: "invalid_blocks", problem: refused }
          : answer(method, body);
    call.response = response;
    send(200, response);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const summary = () =>
    calls
      .map(
        (c) =>
          `  ${c.method}${c.body.thread_ts ? " (thread)" : ""}: ${String(c.body.text ?? "").slice(0, 140)}`,
      )
      .join("\n");

  const fake: FakeSlack = {
    apiUrl: `${baseUrl}/api/`,
    baseUrl,
    calls,
    uploadedFiles,
    responseUrl: (id = randomUUID()) => `${baseUrl}/response/${id}`,
    callsTo: (method) => calls.filter((c) => c.method === method),
    async waitFor(predicate, { timeoutMs = 10_000, description = "a condition" } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const result = predicate(calls);
        if (result !== undefined && result !== false) return result;
        if (Date.now() > deadline) {
          throw new Error(
            `Timed out after ${timeoutMs} ms waiting for ${description}. Slack saw:\n${summary() || "  nothing"}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    waitForCall(method, match = () => true, timeoutMs = 10_000) {
      return fake.waitFor((all) => all.find((c) => c.method === method && match(c.body)), {
        timeoutMs,
        description: `a ${method} call matching ${match.toString().slice(0, 160)}`,
      });
    },
    waitForReply(responseUrl) {
      const path = new URL(responseUrl).pathname;
      return fake.waitFor((all) => all.find((c) => c.method === "response_url" && c.path === path), {
        description: `a reply on ${path}`,
      });
    },
    failNext(method, error, token) {
      faults.set(method, [
        ...(faults.get(method) ?? []),
        { kind: "error", error, ...(token ? { token } : {}) },
      ]);
    },
    rateLimitNext(method, retryAfterSeconds) {
      faults.set(method, [...(faults.get(method) ?? []), { kind: "rate-limit", retryAfterSeconds }]);
    },
    setNotInChannel(channel, notIn = true) {
      if (notIn) notInChannel.add(channel);
      else notInChannel.delete(channel);
    },
    setUserGroup(groupId, users) {
      userGroups.set(groupId, users);
    },
    setSocketModeUrl(url) {
      socketModeUrl = url;
    },
    setBotScopes(scopes) {
      botScopes = scopes;
    },
    setNativeBlocks(on) {
      nativeBlocks = on;
    },
    reset() {
      calls.length = 0;
      faults.clear();
      notInChannel.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
