import type { WebClient } from "@slack/web-api";
import { NotInChannelError } from "../errors.js";
import type { SlackMessage } from "../messages/format.js";

/** Posting into channels and threads: the one interface the domain uses to speak in Slack. */
export interface SlackPoster {
  post(channel: string, message: SlackMessage, threadTs?: string): Promise<{ ts: string }>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** Uploads a file into a thread (Slack's three-step external upload). */
  upload(
    channel: string,
    threadTs: string,
    file: { data: Buffer; filename: string; title: string },
  ): Promise<void>;
  permalink(channel: string, ts: string): Promise<string | undefined>;
}

const NOT_IN_CHANNEL = new Set(["not_in_channel", "channel_not_found", "is_archived"]);

function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } }).data;
  return typeof data?.error === "string" ? data.error : undefined;
}

export function createSlackPoster(client: WebClient): SlackPoster {
  return {
    async post(channel, message, threadTs) {
      try {
        const res = await client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          unfurl_links: false,
        });
        if (!res.ts) throw new Error("chat.postMessage returned no ts");
        return { ts: res.ts };
      } catch (error) {
        const codeName = slackErrorCode(error);
        if (codeName && NOT_IN_CHANNEL.has(codeName)) throw new NotInChannelError(codeName, channel);
        throw error;
      }
    },
    async update(channel, ts, message) {
      await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
    },
    async upload(channel, threadTs, file) {
      await client.filesUploadV2({
        channel_id: channel,
        thread_ts: threadTs,
        file: file.data,
        filename: file.filename,
        title: file.title,
      });
    },
    async permalink(channel, ts) {
      try {
        return (await client.chat.getPermalink({ channel, message_ts: ts })).permalink;
      } catch {
        return undefined;
      }
    },
  };
}
