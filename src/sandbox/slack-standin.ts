import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SlackWorkspace } from "./slack-workspace.js";

/** The scopes the sandbox's bot token has: the manifest's. */
const SCOPES = "commands,chat:write,usergroups:read,files:write,channels:history,groups:history";
/** Slack sends these Web API arguments JSON-encoded inside a form. */
const JSON_FIELDS = ["blocks", "attachments", "files", "metadata", "view", "outputs"];
/** Slack's limit on request bodies is far above anything the bot sends; this bounds a mistake. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

export type SlackStandIn = {
  url: string;
  /** Where the bot's Web API client is pointed (`SLACK_API_URL`). */
  apiUrl: string;
  /** A response_url for a command `user` typed in `channel` (Slack's are valid for 30 minutes). */
  responseUrl(user: string, channel: string): string;
  close(): Promise<void>;
};

export type StandInRoutes = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<boolean>;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseArguments(raw: Buffer, contentType: string): Record<string, unknown> {
  const text = raw.toString("utf8");
  const args: Record<string, unknown> = contentType.includes("application/json")
    ? text
      ? (JSON.parse(text) as Record<string, unknown>)
      : {}
    : Object.fromEntries(new URLSearchParams(text));
  for (const field of JSON_FIELDS) {
    const value = args[field];
    if (typeof value === "string") args[field] = JSON.parse(value);
  }
  return args;
}

/** An upload's bytes: the body itself, or its file part when sent as a form (as Slack's SDK does). */
async function uploadedBytes(body: Buffer, contentType: string): Promise<Buffer> {
  if (!contentType.includes("multipart/form-data")) return body;
  const form = await new Request("http://stand-in/upload", {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  }).formData();
  for (const value of form.values())
    if (typeof value !== "string") return Buffer.from(await value.arrayBuffer());
  return Buffer.alloc(0);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Slack's side of the sandbox over HTTP on loopback: the Web API the bot calls (with its token),
 * response URLs, file uploads and downloads. `routes` adds the page's own (tried first).
 */
export async function startSlackStandIn(options: {
  workspace: SlackWorkspace;
  botToken: string;
  port?: number;
  routes?: StandInRoutes;
  /** Called with the address once listening, before any request (the workspace builds URLs from it). */
  onListening?: (url: string) => void;
}): Promise<SlackStandIn> {
  const { workspace, botToken } = options;
  const responseUrls = new Map<string, { user: string; channel: string; expiresAt: number }>();
  let url = "";

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (options.routes && (await options.routes(req, res, body))) return;

    const api = /^\/api\/([a-zA-Z.]+)$/.exec(path);
    if (api && req.method === "POST") {
      const args = parseArguments(body, String(req.headers["content-type"] ?? ""));
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1] ?? args.token;
      if (token !== botToken) return sendJson(res, 200, { ok: false, error: "invalid_auth" });
      return sendJson(res, 200, workspace.call(api[1]!, args), { "x-oauth-scopes": SCOPES });
    }

    const response = /^\/response\/([\w-]+)$/.exec(path);
    if (response && req.method === "POST") {
      const target = responseUrls.get(response[1]!);
      if (!target || target.expiresAt < Date.now())
        return sendJson(res, 404, { ok: false, error: "expired_url" });
      workspace.respond(target, parseArguments(body, "application/json"));
      return sendJson(res, 200, { ok: true });
    }

    const upload = /^\/upload\/(F\w+)$/.exec(path);
    if (upload && req.method === "POST") {
      return workspace.upload(
        upload[1]!,
        await uploadedBytes(body, String(req.headers["content-type"] ?? "")),
      )
        ? sendJson(res, 200, { ok: true })
        : sendJson(res, 404, { ok: false, error: "file_not_found" });
    }

    const file = /^\/files\/(F\w+)$/.exec(path);
    if (file && req.method === "GET") {
      const found = workspace.files.get(file[1]!);
      if (!found?.bytes) return sendJson(res, 404, { ok: false, error: "file_not_found" });
      res.writeHead(200, { "content-type": found.mimetype, "cache-control": "no-store" });
      res.end(found.bytes);
      return;
    }
    sendJson(res, 404, { ok: false, error: "not_found" });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendJson(res, 400, { ok: false, error: "invalid_request", detail: String(error) });
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  options.onListening?.(url);
  return {
    url,
    apiUrl: `${url}/api/`,
    responseUrl(user, channel) {
      const token = randomUUID();
      responseUrls.set(token, { user, channel, expiresAt: Date.now() + 30 * 60_000 });
      return `${url}/response/${token}`;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
