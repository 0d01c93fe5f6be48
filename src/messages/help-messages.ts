import { COMMAND_USAGE } from "../commands/parse-cdn-command.js";
import { code, context, type SlackMessage, section } from "./format.js";

export function helpMessage(topic?: string, problem?: string): SlackMessage {
  const entries = Object.entries(COMMAND_USAGE);
  const chosen = entries.filter(([verb]) => topic === undefined || verb === topic);
  const unknownTopic = topic !== undefined && chosen.length === 0;
  const shown = unknownTopic ? entries : chosen;
  const lines = shown.map(([, u]) => `${code(u.usage)}\n${u.summary}\nExample: ${code(u.example)}`);
  const intro = problem ?? (unknownTopic ? `There is no command ${code(topic)}.` : undefined);
  const heading = "*cdnbot* runs CloudFront from Slack. Commands:";
  const body = lines.join("\n\n");
  const text = [intro, heading, body].filter(Boolean).join("\n\n");
  const blocks = [
    ...(intro ? [section(intro)] : []),
    section(heading),
    ...shown.map(([, u]) => section(`${code(u.usage)}\n${u.summary}\nExample: ${code(u.example)}`)),
    context("Distributions are the aliases in the bot's config file; `/cdn list` shows them."),
  ];
  return { text, blocks };
}
