import type { NotInChannelError } from "../errors.js";
import { channelLink, escapeText, plainMessage, type SlackMessage } from "./format.js";

/** Slack would not let the bot post in a channel: name that channel, and say what was not done. */
export function notInChannelMessage(error: NotInChannelError): SlackMessage {
  const where = channelLink(error.channelId);
  const problem = error.archived
    ? `${where} is archived, so I cannot post there. Use another channel.`
    : `I'm not a member of ${where}, so I cannot post there. Invite me with \`/invite @cdnbot\` in ${where} and try again.`;
  return plainMessage(error.consequence ? `${problem} ${escapeText(error.consequence)}` : problem);
}
