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

export function createSlackPurgeAnnouncer(poster: SlackPoster): PurgeAnnouncer {
  return {
    async postParent(op) {
      const { ts } = await poster.post(op.channelId, purgeParentMessage(op));
      return ts;
    },
    async refreshParent(op) {
      if (op.messageTs) await poster.update(op.channelId, op.messageTs, purgeParentMessage(op));
    },
    async replyCreated(op) {
      await poster.post(op.channelId, purgeCreatedReply(op), op.messageTs);
    },
    async replyFinal(op) {
      const message = op.state === "completed" ? purgeCompletedReply(op) : purgeFailedReply(op);
      await poster.post(op.channelId, message, op.messageTs);
    },
    async replyNote(op, note) {
      await poster.post(op.channelId, literalMessage(purgeNoteText(note)), op.messageTs);
    },
  };
}
