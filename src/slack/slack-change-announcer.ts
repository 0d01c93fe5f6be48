import type { ChangeAnnouncer } from "../changes/change-announcer.js";
import {
  changeFinalReply,
  changeNoteText,
  changeParentMessage,
  changeWrittenReply,
} from "../messages/change-messages.js";
import { literalMessage } from "../messages/format.js";
import type { SlackPoster } from "./slack-poster.js";

/** What marks a change's final reply in Slack's message metadata. */
const finalMarkerOf = (op: { id: string }) => `change:${op.id}:final`;

export function createSlackChangeAnnouncer(poster: SlackPoster): ChangeAnnouncer {
  return {
    async postParent(op) {
      return (await poster.post(op.channelId, changeParentMessage(op))).ts;
    },
    async refreshParent(op) {
      if (op.messageTs) await poster.update(op.channelId, op.messageTs, changeParentMessage(op));
    },
    async replyWritten(op) {
      await poster.post(op.channelId, changeWrittenReply(op), op.messageTs);
    },
    async replyFinal(op) {
      await poster.post(op.channelId, changeFinalReply(op), op.messageTs, finalMarkerOf(op));
    },
    async findFinal(op) {
      if (!op.messageTs) return false;
      return (
        (await poster.findMarked(op.channelId, finalMarkerOf(op), op.requestedAt, op.messageTs)) !== undefined
      );
    },
    async replyNote(op, note) {
      await poster.post(op.channelId, literalMessage(changeNoteText(note)), op.messageTs);
    },
  };
}
