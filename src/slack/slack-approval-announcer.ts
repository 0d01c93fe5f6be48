import type { ApprovalAnnouncer } from "../approvals/approval-announcer.js";
import { approvalRequestMessage } from "../messages/approval-messages.js";
import type { SlackPoster } from "./slack-poster.js";

export function createSlackApprovalAnnouncer(poster: SlackPoster): ApprovalAnnouncer {
  return {
    async postRequest(request) {
      const { ts } = await poster.post(request.channelId, approvalRequestMessage(request));
      return ts;
    },
    async refreshRequest(request) {
      if (request.messageTs)
        await poster.update(request.channelId, request.messageTs, approvalRequestMessage(request));
    },
  };
}
