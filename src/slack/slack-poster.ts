import type { KnownBlock } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { NotInChannelError } from "../errors.js";
import type { SlackMessage } from "../messages/format.js";
import { NativeBlocks } from "./native-blocks.js";

/** Posting into channels and threads: the one interface the domain uses to speak in Slack. */
export interface SlackPoster {
  /**
   * Posts; with `marker`, the message carries it in its metadata, so `findMarked` can tell later
   * whether a post cut off by a crash reached Slack.
   */
  post(channel: string, message: SlackMessage, threadTs?: string, marker?: string): Promise<{ ts: string }>;
  /**
   * The ts of the bot's message carrying `marker`, posted since `sinceMs` (in the thread of
   * `threadTs`, or the channel itself), if Slack has it. Throws when Slack cannot be read now.
   */
  findMarked(
    channel: string,
    marker: string,
    sinceMs: number,
    threadTs?: string,
  ): Promise<string | undefined>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** Uploads a file into a thread (Slack's three-step external upload). */
  upload(
    channel: string,
    threadTs: string,
    file: { data: Buffer; filename: string; title: string },
  ): Promise<void>;
  permalink(channel: string, ts: string): Promise<string | undefined>;
  /** A message only this person sees in the channel (when a command's own reply cannot be used). */
  postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  /**
   * Sends a message some other way (a command's reply through its response_url) with the blocks
   * this workspace takes: native tables and charts, or their classic rendering.
   */
  withBlocks<T>(message: SlackMessage, send: (blocks: KnownBlock[]) => Promise<T>): Promise<T>;
}

/** The metadata event type of the bot's marked posts (a post it must never make twice). */
const MARKER_EVENT = "cdnbot_post";
/** How far back a lookup reads: 200 messages a page. A busier channel is posted to again. */
const MARKER_PAGES = 5;

const CANNOT_LOOK = new Set([
  "missing_scope",
  "not_allowed_token_type",
  "channel_not_found",
  "thread_not_found",
]);

const NOT_IN_CHANNEL = new Set(["not_in_channel", "channel_not_found", "is_archived"]);

function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } }).data;
  return typeof data?.error === "string" ? data.error : undefined;
}

export function createSlackPoster(client: WebClient, native = new NativeBlocks(true)): SlackPoster {
  return {
    async post(channel, message, threadTs, marker) {
      try {
        const res = await native.send(message, (blocks) =>
          client.chat.postMessage({
            channel,
            text: message.text,
            blocks,
            ...(threadTs ? { thread_ts: threadTs } : {}),
            ...(marker ? { metadata: { event_type: MARKER_EVENT, event_payload: { marker } } } : {}),
            unfurl_links: false,
          }),
        );
        if (!res.ts) throw new Error("chat.postMessage returned no ts");
        return { ts: res.ts };
      } catch (error) {
        const codeName = slackErrorCode(error);
        if (codeName && NOT_IN_CHANNEL.has(codeName)) throw new NotInChannelError(codeName, channel);
        throw error;
      }
    },
    async update(channel, ts, message) {
      await native.send(message, (blocks) => client.chat.update({ channel, ts, text: message.text, blocks }));
    },
    async postEphemeral(channel, user, message) {
      await native.send(message, (blocks) =>
        client.chat.postEphemeral({ channel, user, text: message.text, blocks }),
      );
    },
    withBlocks: (message, send) => native.send(message, send),
    async upload(channel, threadTs, file) {
      await client.filesUploadV2({
        channel_id: channel,
        thread_ts: threadTs,
        file: file.data,
        filename: file.filename,
        title: file.title,
      });
    },
    async findMarked(channel, marker, sinceMs, threadTs) {
      // A little before: Slack's clock and ours differ by a moment.
      const oldest = ((sinceMs - 60_000) / 1000).toFixed(6);
      let cursor: string | undefined;
      for (let page = 0; page < MARKER_PAGES; page++) {
        const args = {
          channel,
          oldest,
          limit: 200,
          include_all_metadata: true,
          ...(cursor ? { cursor } : {}),
        };
        let res: Awaited<ReturnType<typeof client.conversations.history>>;
        try {
          res = threadTs
            ? await client.conversations.replies({ ...args, ts: threadTs })
            : await client.conversations.history(args);
        } catch (error) {
          // A token without the history scopes can never look: posting again is the lesser harm
          // than never posting. Anything else (Slack down) is for the next pass to try again.
          if (CANNOT_LOOK.has(slackErrorCode(error) ?? "")) return undefined;
          throw error;
        }
        const found = res.messages?.find(
          (m) =>
            m.metadata?.event_type === MARKER_EVENT &&
            (m.metadata.event_payload as { marker?: unknown } | undefined)?.marker === marker,
        );
        if (found?.ts) return found.ts;
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) return undefined;
      }
      return undefined;
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
