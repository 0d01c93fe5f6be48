import { code, context, escapeText, type SlackMessage, section } from "./format.js";

/** One command's documentation, as the parser keeps it (`COMMAND_USAGE`). */
export type CommandDoc = { usage: string; summary: string; example: string };

function usageBlock(u: CommandDoc): string {
  return `${code(u.usage)}\n${u.summary}\nExample: ${code(u.example)}`;
}

const FOOTER = "Distributions are the aliases in the bot's config file; `/cdn list` shows them.";

/**
 * The whole help, one command's, or a problem with the usage of the command it concerns. A problem
 * is plain text from the parser (it may quote what was typed), so it is escaped here.
 */
export function helpMessage(
  commands: Readonly<Record<string, CommandDoc>>,
  topic?: string,
  problem?: string,
): SlackMessage {
  const entries = Object.entries(commands);
  const chosen = topic === undefined ? [] : entries.filter(([verb]) => verb === topic);
  let intro: string | undefined = problem !== undefined ? escapeText(problem) : undefined;
  let shown = chosen;
  if (topic === undefined && problem === undefined) shown = entries;
  else if (topic !== undefined && chosen.length === 0) {
    intro = `${intro ? `${intro}\n` : ""}There is no command ${code(topic)}. The commands are ${entries.map(([verb]) => code(verb)).join(", ")}.`;
  }
  const heading =
    shown.length === entries.length ? "*cdnbot* runs CloudFront from Slack. Commands:" : undefined;
  const outro =
    shown.length === 0 ? "`/cdn help` lists every command, `/cdn help <command>` explains one." : undefined;
  const parts = [intro, heading, ...shown.map(([, u]) => usageBlock(u)), outro].filter(
    (p): p is string => p !== undefined,
  );
  return {
    text: parts.join("\n\n"),
    blocks: [...parts.map(section), context(FOOTER)],
  };
}
