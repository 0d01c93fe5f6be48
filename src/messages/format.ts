import type { KnownBlock } from "@slack/types";
import { clientOf } from "../store/actors.js";
import { quote } from "../text/plain-text.js";

export { plural } from "../text/plain-text.js";

/**
 * A message: its plain `text` fallback and its blocks. Where the blocks hold a native table or chart
 * (`messages/native-blocks.ts`), `plainBlocks` is the classic rendering of the same, sent where the
 * workspace refuses those blocks.
 */
export type SlackMessage = { text: string; blocks: KnownBlock[]; plainBlocks?: KnownBlock[] };

/**
 * The one escaping function: every string a person or AWS wrote goes through it before it is shown,
 * in `text` and in mrkdwn alike, so Slack shows it literally and never as a mention, a broadcast
 * (`<!channel>`) or a link.
 */
export function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Inline code for text a person or AWS wrote. */
export function code(text: string): string {
  return escapeText(quote(text));
}

/** A person as a Slack mention; a pipeline or an agent by its kind and name (“pipeline `web-deploy`”). */
export function mention(userId: string): string {
  const client = clientOf(userId);
  if (client) return `${client.kind} ${code(client.name)}`;
  return `<@${escapeText(userId)}>`;
}

/** Every approver, and when: “<@B> at 2026-12-07 14:02 UTC, <@C> at …”. */
export function approvedBy(approvals: { userId: string; at: number }[]): string {
  return approvals.map((a) => `${mention(a.userId)} at ${formatTime(a.at)}`).join(", ");
}

/**
 * The people to call on: each user and user group the config names (ids the config's schema
 * checked), or, where it names none, everyone active in the channel.
 */
export function callOn(people: { users: string[]; groups: string[] } | undefined): string {
  const named = [
    ...(people?.users ?? []).map(mention),
    ...(people?.groups ?? []).map((g) => `<!subteam^${escapeText(g)}>`),
  ];
  return named.length > 0 ? named.join(" ") : "<!here>";
}

export function channelLink(channelId: string): string {
  return `<#${escapeText(channelId)}>`;
}

/**
 * A link to a URL Slack itself gave (a permalink), under a label the bot wrote: only the URL's
 * characters that would end the link are escaped.
 */
export function slackLink(url: string, label: string): string {
  return `<${escapeText(url).replace(/\|/g, "%7C")}|${label}>`;
}

export function formatDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${seconds}s`;
  return `${seconds}s`;
}

/** A moment as people read it: `2026-11-25 09:12 UTC`. */
export function formatTime(at: number | Date): string {
  return `${new Date(at).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The most a section's text holds, in Slack's characters. */
const SECTION_LIMIT = 3000;

export function section(markdown: string): KnownBlock {
  const text = markdown.length > SECTION_LIMIT ? `${markdown.slice(0, SECTION_LIMIT - 10)}…` : markdown;
  return { type: "section", text: { type: "mrkdwn", text } };
}

/**
 * Lines of a list packed whole into sections (never cut mid-item), at most `maxSections` of them:
 * returns the blocks and how many lines they hold, so the caller can say "showing 20 of 75".
 */
function listSections(lines: string[], maxSections = 20): { blocks: KnownBlock[]; shown: number } {
  const blocks: KnownBlock[] = [];
  let current: string[] = [];
  let size = 0;
  let shown = 0;
  for (const line of lines) {
    // A single line longer than a section is the one thing still cut (its own section, with …).
    const length = Math.min(line.length, SECTION_LIMIT);
    if (current.length > 0 && size + 1 + length > SECTION_LIMIT) {
      if (blocks.length + 1 >= maxSections) break;
      blocks.push(section(current.join("\n")));
      current = [];
      size = 0;
    }
    current.push(line);
    size += (current.length > 1 ? 1 : 0) + length;
    shown++;
  }
  if (current.length > 0) blocks.push(section(current.join("\n")));
  return { blocks, shown };
}

/**
 * A list as one message: a heading (told how many lines fit, to say "showing 20 of 75"), then the
 * lines that fit, whole, in sections; the fallback text says the same.
 */
export function listMessage(lines: string[], heading: (shown: number) => string): SlackMessage {
  const list = listSections(lines);
  const head = heading(list.shown);
  return {
    text: `${head}\n${lines.slice(0, list.shown).join("\n")}`,
    blocks: [section(head), ...list.blocks],
  };
}

export function context(markdown: string): KnownBlock {
  return { type: "context", elements: [{ type: "mrkdwn", text: markdown.slice(0, 3000) }] };
}

/** A message that is only words the bot wrote in mrkdwn: the fallback and the block say the same. */
export function plainMessage(markdown: string): SlackMessage {
  return { text: markdown, blocks: [section(markdown)] };
}

/** A message from plain text the domain wrote (an error, a note), escaped for Slack. */
export function literalMessage(text: string): SlackMessage {
  return plainMessage(escapeText(text));
}

/** What a request is of: its distribution, or `<distribution>/<tenant>` for one tenant. */
export function targetName(request: { alias: string; tenant?: { name: string } | undefined }): string {
  return request.tenant ? `${request.alias}/${request.tenant.name}` : request.alias;
}
