import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { escapeText } from "../messages/format.js";
import {
  type ButtonClick,
  blockActionsPayload,
  eventCallbackBody,
  interactionForm,
  signSlackRequest,
  slashCommandForm,
} from "./slack-deliveries.js";
import type { StandInRoutes } from "./slack-standin.js";
import { SANDBOX_TEAM, type SandboxMessage, type SlackWorkspace } from "./slack-workspace.js";

/** The page's files: plain HTML, CSS and a script, served as they are (no build step). */
const PAGE_DIR = join(import.meta.dirname, "page");
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/page/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/page/blocks.js": { file: "blocks.js", type: "text/javascript; charset=utf-8" },
  "/page/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};
/** How long the stand-in waits for the bot's answer to a delivery: Slack's own 3 seconds. */
const DELIVERY_TIMEOUT_MS = 3_000;

/** What the panel can do to the simulated world. */
export type Trouble = (kind: string, distribution: string) => string;

export type PageOptions = {
  workspace: SlackWorkspace;
  /** The bot's Events endpoint and secret: the page's actions reach it signed, as Slack's do. */
  botEventsUrl: () => string;
  signingSecret: string;
  responseUrl: (user: string, channel: string) => string;
  trouble: Trouble;
  /** Distribution aliases, for the panel. */
  distributions: string[];
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/**
 * What Slack's client does to typed command text when the command has `should_escape`: &, < and >
 * as entities, `#channel` and `@person` as their ids, links wrapped in angle brackets.
 */
export function escapeTypedText(text: string, workspace: SlackWorkspace): string {
  return escapeText(text)
    .replace(/(^|\s)#([a-z0-9_-]+)/g, (whole, space: string, name: string) => {
      const channel = workspace.channels.find((c) => c.name === name);
      return channel ? `${space}<#${channel.id}|${name}>` : whole;
    })
    .replace(/(^|\s)@([a-z0-9._-]+)/g, (whole, space: string, name: string) => {
      const person = workspace.people.find((p) => p.name === name);
      return person ? `${space}<@${person.id}|${name}>` : whole;
    })
    .replace(/(^|\s)(https?:\/\/\S+)/g, "$1<$2>");
}

/** A view of a message for the page: who wrote it, by name. */
function forPage(message: SandboxMessage, workspace: SlackWorkspace) {
  const person = workspace.people.find((p) => p.id === message.user);
  return { ...message, author: person ? person.name : "cdnbot", isBot: !person };
}

/** Finds the button a person clicked in what is shown, as Slack does: the value is the message's. */
function findButton(blocks: unknown[], actionId: string, blockId: string) {
  type Element = { type?: string; action_id?: string; value?: string };
  type Block = { type?: string; block_id?: string; elements?: Element[]; accessory?: Element };
  for (const block of blocks as Block[]) {
    if (block.block_id !== blockId) continue;
    const elements = [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])];
    const button = elements.find((e) => e.type === "button" && e.action_id === actionId);
    if (button) return button;
  }
  return undefined;
}

async function readJson(body: Buffer): Promise<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(body.toString("utf8") || "{}");
  if (typeof parsed !== "object" || parsed === null) throw new Error("expected a JSON object");
  return parsed as Record<string, unknown>;
}

/** The page and the small API it calls: state, a stream of changes, typing, clicking, trouble. */
export function sandboxPageRoutes(options: PageOptions): StandInRoutes {
  const { workspace } = options;
  const personOf = (id: unknown) => workspace.people.find((p) => p.id === id);
  const channelOf = (id: unknown) => workspace.channels.find((c) => c.id === id);

  async function deliver(raw: string, contentType: string): Promise<{ status: number; body: string }> {
    const answer = await fetch(options.botEventsUrl(), {
      method: "POST",
      headers: { ...signSlackRequest(options.signingSecret, raw), "content-type": contentType },
      body: raw,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    return { status: answer.status, body: await answer.text() };
  }

  const context: PageContext = { options, workspace, channelOf, deliver };
  return async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const json = (status: number, answer: unknown) => {
      sendJson(res, status, answer);
      return true;
    };
    const page = PAGE_FILES[url.pathname];
    if (page && req.method === "GET") {
      res.writeHead(200, { "content-type": page.type, "cache-control": "no-store" });
      res.end(await readFile(join(PAGE_DIR, page.file)));
      return true;
    }
    if (url.pathname === "/ui/state" && req.method === "GET") {
      const person = personOf(url.searchParams.get("user"));
      if (!person) return json(400, { error: "unknown person" });
      return json(200, {
        team: SANDBOX_TEAM,
        people: workspace.people,
        channels: workspace.channels,
        distributions: options.distributions,
        messages: workspace.channels.flatMap((c) =>
          workspace.visibleIn(c.id, person.id).map((m) => forPage(m, workspace)),
        ),
        home: workspace.homes.get(person.id) ?? null,
      });
    }
    if (url.pathname === "/ui/events" && req.method === "GET") {
      const person = personOf(url.searchParams.get("user"));
      if (!person) return json(400, { error: "unknown person" });
      streamEvents(workspace, person.id, req, res);
      return true;
    }
    if (req.method !== "POST" || !url.pathname.startsWith("/ui/")) return false;

    const input = await readJson(body);
    const person = personOf(input.user);
    if (!person) return json(400, { error: "unknown person" });

    if (url.pathname === "/ui/send") {
      const answer = await sendAsPerson(context, person, input);
      return json(answer.status, answer.body);
    }

    if (url.pathname === "/ui/click") {
      const answer = await clickAsPerson(context, person, input);
      return json(answer.status, answer.body);
    }

    if (url.pathname === "/ui/home") {
      const answer = await deliver(
        eventCallbackBody(SANDBOX_TEAM.id, {
          type: "app_home_opened",
          user: person.id,
          channel: `D${person.id}`,
          tab: "home",
        }),
        "application/json",
      );
      return json(200, { ok: answer.status === 200, status: answer.status });
    }

    if (url.pathname === "/ui/step") {
      // Workflow Builder running cdnbot's "Purge CloudFront paths" step, as the person chosen.
      const channel = channelOf(input.channel);
      const distribution = String(input.distribution ?? "");
      if (!channel || !distribution) return json(400, { error: "pick a channel and a distribution" });
      const executionId = `Fx${Date.now().toString(36).toUpperCase()}`;
      workspace.startStep(executionId, {
        channel: channel.id,
        user: person.id,
        title: "Purge CloudFront paths",
      });
      const delivered = await deliver(
        eventCallbackBody(SANDBOX_TEAM.id, {
          type: "function_executed",
          function: {
            id: "Fn0PURGE",
            callback_id: "purge_paths",
            title: "Purge CloudFront paths",
            type: "app",
          },
          inputs: { distribution, paths: "/index.html", channel: channel.id, user: person.id },
          function_execution_id: executionId,
          workflow_execution_id: `Wx${executionId}`,
          event_ts: String(Date.now() / 1000),
          bot_access_token: "xwfp-sandbox",
        }),
        "application/json",
      );
      return json(200, {
        ok: delivered.status === 200,
        said: `A workflow ran the step “Purge CloudFront paths” on ${distribution} /index.html as ${person.name}; it ends when CloudFront has the invalidation.`,
      });
    }

    if (url.pathname === "/ui/trouble") {
      const said = options.trouble(String(input.kind ?? ""), String(input.distribution ?? ""));
      return json(200, { ok: true, said });
    }
    return false;
  };
}

type PageContext = {
  options: PageOptions;
  workspace: SlackWorkspace;
  channelOf: (id: unknown) => SlackWorkspace["channels"][number] | undefined;
  deliver: (raw: string, contentType: string) => Promise<{ status: number; body: string }>;
};
type Person = SlackWorkspace["people"][number];
type PageAnswer = { status: number; body: unknown };
const answer = (status: number, body: unknown): PageAnswer => ({ status, body });

/** What the bot would see if Slack were watching the tab: every new message and Home tab, as they come. */
function streamEvents(
  workspace: SlackWorkspace,
  personId: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  res.write(": connected\n\n");
  const stop = workspace.subscribe((event) => {
    if (
      event.kind === "home"
        ? event.user !== personId
        : event.message.visibleTo && event.message.visibleTo !== personId
    )
      return;
    const data =
      event.kind === "home" ? event : { kind: event.kind, message: forPage(event.message, workspace) };
    res.write(`data: ${JSON.stringify(data)}\n\n`);
  });
  req.on("close", stop);
}

/** Someone types in a channel: a message, or a slash command delivered to the bot as Slack would. */
async function sendAsPerson(
  context: PageContext,
  person: Person,
  input: Record<string, unknown>,
): Promise<PageAnswer> {
  const { options, workspace, channelOf, deliver } = context;
  const channel = channelOf(input.channel);
  const text = String(input.text ?? "").trim();
  const threadTs = typeof input.threadTs === "string" && input.threadTs ? input.threadTs : undefined;
  if (!channel || !text) return answer(400, { error: "say something, in a channel" });
  const command = /^(\/[a-z-]+)(?:\s+([\s\S]*))?$/.exec(text);
  if (!command) {
    workspace.postAsPerson(person.id, channel.id, text, threadTs);
    return answer(200, { ok: true });
  }
  if (command[1] !== "/cdn") {
    workspace.respond(
      { user: person.id, channel: channel.id },
      { text: `${command[1]} is not a command here. Try /cdn help.` },
    );
    return answer(200, { ok: true });
  }
  const responseUrl = options.responseUrl(person.id, channel.id);
  const delivered = await deliver(
    slashCommandForm({
      text: escapeTypedText(command[2] ?? "", workspace),
      responseUrl,
      teamId: SANDBOX_TEAM.id,
      channelId: channel.id,
      channelName: channel.name,
      userId: person.id,
      userName: person.name,
    }),
    "application/x-www-form-urlencoded",
  );
  // An ack with a body is the app's immediate reply, shown to the person who typed.
  if (delivered.status === 200 && delivered.body.trim()) {
    const reply = JSON.parse(delivered.body) as Record<string, unknown>;
    workspace.respond({ user: person.id, channel: channel.id }, reply);
  }
  return answer(200, { ok: delivered.status === 200, status: delivered.status });
}

/** Someone clicks a button in a message or their Home tab: the click reaches the bot as Slack sends it. */
async function clickAsPerson(
  context: PageContext,
  person: Person,
  input: Record<string, unknown>,
): Promise<PageAnswer> {
  const { options, workspace, channelOf, deliver } = context;
  const actionId = String(input.actionId ?? "");
  const blockId = String(input.blockId ?? "");
  // Where the button is decides what Slack sends with the click, and where replies go.
  let where: { blocks: unknown[]; replyChannel: string; container: ButtonClick["container"] } | undefined;
  if (input.home) {
    const view = workspace.homes.get(person.id) as { blocks?: unknown[] } | undefined;
    if (view)
      where = {
        blocks: view.blocks ?? [],
        replyChannel: workspace.channels[0]!.id,
        container: { type: "view", viewId: `V${person.id}`, view: { id: `V${person.id}`, ...view } },
      };
  } else {
    const message = workspace.messages.find((m) => m.channel === input.channel && m.ts === input.ts);
    const channel = channelOf(input.channel);
    if (message && channel && (!message.visibleTo || message.visibleTo === person.id))
      where = {
        blocks: message.blocks ?? [],
        replyChannel: channel.id,
        container: {
          type: "message",
          channelId: channel.id,
          channelName: channel.name,
          messageTs: message.ts,
          text: message.text,
          blocks: message.blocks ?? [],
        },
      };
  }
  const button = where ? findButton(where.blocks, actionId, blockId) : undefined;
  if (!where || !button) return answer(404, { error: "no such button" });
  const delivered = await deliver(
    interactionForm(
      blockActionsPayload({
        teamId: SANDBOX_TEAM.id,
        userId: person.id,
        userName: person.name,
        actionId,
        blockId,
        value: button.value ?? "",
        responseUrl: options.responseUrl(person.id, where.replyChannel),
        container: where.container,
      }),
    ),
    "application/x-www-form-urlencoded",
  );
  return answer(200, { ok: delivered.status === 200, status: delivered.status });
}
