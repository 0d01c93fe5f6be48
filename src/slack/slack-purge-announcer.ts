import { literalMessage } from "../messages/format.js";
import {
  purgeCompletedReply,
  purgeCreatedReply,
  purgeFailedReply,
  purgeNoteText,
  purgeParentMessage,
} from "../messages/purge-messages.js";
import type { PurgeAnnouncer } from "../purge/purge-announcer.js";
import type { SlackPoster } from "./slack-poster.js";

/** What marks a purge's parent message and final reply in Slack's message metadata. */
const markerOf = (op: { id: string }, which: "parent" | "final") => `purge:${op.id}:${which}`;

export function createSlackPurgeAnnouncer(poster: SlackPoster): PurgeAnnouncer {
  return {
    async postParent(op) {
      const { ts } = await poster.post(
        op.channelId,
        purgeParentMessage(op),
        undefined,
        markerOf(op, "parent"),
      );
      return ts;
    },
    async findPosted(op, which) {
      const since = op.posting?.[which] ?? op.requestedAt;
      if (which === "parent") return poster.findMarked(op.channelId, markerOf(op, which), since);
      if (!op.messageTs) return undefined;
      return poster.findMarked(op.channelId, markerOf(op, which), since, op.messageTs);
    },
    async refreshParent(op) {
      if (op.messageTs) await poster.update(op.channelId, op.messageTs, purgeParentMessage(op));
    },
    async replyCreated(op) {
      await poster.post(op.channelId, purgeCreatedReply(op), op.messageTs);
    },
    async replyFinal(op) {
      const message = op.state === "completed" ? purgeCompletedReply(op) : purgeFailedReply(op);
      await poster.post(op.channelId, message, op.messageTs, markerOf(op, "final"));
    },
    async replyNote(op, note) {
      await poster.post(op.channelId, literalMessage(purgeNoteText(note)), op.messageTs);
    },
    async tellRequester(op, text) {
      await poster.postEphemeral(op.channelId, op.requestedBy.userId, literalMessage(text));
    },
  };
}
