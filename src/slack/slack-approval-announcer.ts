import type { ApprovalAnnouncer } from "../approvals/approval-announcer.js";
import { approvalRequestMessage, decisionNote } from "../messages/approval-messages.js";
import { reviewMessage, reviewReminder } from "../messages/review-messages.js";
import type { SlackPoster } from "./slack-poster.js";

/** What marks an approval request's message in Slack's message metadata. */
const markerOf = (request: { id: string }) => `approval:${request.id}`;
/** What marks a break-glass review's message. */
const reviewMarkerOf = (review: { id: string }) => `review:${review.id}`;

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
    async noteDecision(request, decision) {
      if (request.messageTs)
        await poster.post(request.channelId, decisionNote(request, decision), request.messageTs);
    },
    async postReview(review, approvers) {
      const { ts } = await poster.post(
        review.channelId,
        reviewMessage(review, approvers),
        undefined,
        reviewMarkerOf(review),
      );
      return ts;
    },
    findReview(review) {
      return poster.findMarked(review.channelId, reviewMarkerOf(review), review.createdAt);
    },
    async remindReview(review, approvers) {
      if (review.messageTs)
        await poster.post(review.channelId, reviewReminder(review, approvers), review.messageTs);
    },
    async settleReview(review, by) {
      if (review.messageTs)
        await poster.update(review.channelId, review.messageTs, reviewMessage(review, undefined, by));
    },
  };
}
