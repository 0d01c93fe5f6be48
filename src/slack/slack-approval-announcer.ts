import type { ApprovalAnnouncer } from "../approvals/approval-announcer.js";
import { approvalRequestMessage } from "../messages/approval-messages.js";
import type { SlackPoster } from "./slack-poster.js";

/** What marks an approval request's message in Slack's message metadata. */
const markerOf = (request: { id: string }) => `approval:${request.id}`;

export function createSlackApprovalAnnouncer(poster: SlackPoster): ApprovalAnnouncer {
  return {
    async postRequest(request) {
      const { ts } = await poster.post(
        request.channelId,
        approvalRequestMessage(request),
        undefined,
        markerOf(request),
      );
      return ts;
    },
    findRequest(request) {
      return poster.findMarked(request.channelId, markerOf(request), request.createdAt);
    },
    async refreshRequest(request) {
      if (request.messageTs)
        await poster.update(request.channelId, request.messageTs, approvalRequestMessage(request));
    },
  };
}
