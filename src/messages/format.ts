import type { KnownBlock } from "@slack/types";

export type SlackMessage = { text: string; blocks: KnownBlock[] };

/** Escapes what a user typed before it goes into mrkdwn, so it cannot mention or link. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Inline code for user-typed text; backticks inside would end the span. */
export function code(text: string): string {
  return `\`${escapeMrkdwn(text).replace(/`/g, "ˋ")}\``;
}

export function mention(userId: string): string {
  return `<@${userId}>`;
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

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;
}

export function section(markdown: string): KnownBlock {
  // Slack caps a section's text at 3,000 characters.
  const text = markdown.length > 3000 ? `${markdown.slice(0, 2990)}…` : markdown;
  return { type: "section", text: { type: "mrkdwn", text } };
}

export function context(markdown: string): KnownBlock {
  return { type: "context", elements: [{ type: "mrkdwn", text: markdown.slice(0, 3000) }] };
}

/** A message that is only words: the fallback and the block say the same thing. */
export function plainMessage(markdown: string): SlackMessage {
  return { text: markdown, blocks: [section(markdown)] };
}
