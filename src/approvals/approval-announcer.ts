import type { Principals } from "../config/policy-schema.js";
import type { ApprovalRequest, Review } from "../store/records.js";

/** One person's decision on a request, as its thread tells it. */
export type Decision = { userId: string; verdict: "approve" | "reject"; at: number; reason?: string };

/** What the approval flow shows in the channel; implemented on the Slack side. */
export interface ApprovalAnnouncer {
  /** Posts the request with its Approve / Reject buttons; returns the message ts. */
  postRequest(request: ApprovalRequest): Promise<string>;
  /**
   * The ts of the request's message if an earlier post reached Slack (a crash, or another replica,
   * came between posting it and storing its ts); throws when Slack cannot be read just now.
   */
  findRequest(request: ApprovalRequest): Promise<string | undefined>;
  /** Redraws the request's message for its current state (buttons only while pending). */
  refreshRequest(request: ApprovalRequest): Promise<void>;
  /** Says in the request's thread who decided, and when: each approval, or the rejection. */
  noteDecision(request: ApprovalRequest, decision: Decision): Promise<void>;
  /**
   * Posts a break-glass change's review in its channel, loudly: the approvers named (`approvers`;
   * unset, the channel), an Acknowledge button. Returns the message ts.
   */
  postReview(review: Review, approvers: Principals | undefined): Promise<string>;
  /** The ts of a review's message an earlier post left unrecorded, if any. */
  findReview(review: Review): Promise<string | undefined>;
  /** Tells the approvers again, in the review's thread, that it still waits for them. */
  remindReview(review: Review, approvers: Principals | undefined): Promise<void>;
  /** Redraws the review's message as reviewed: by whom and when, without its button. */
  settleReview(review: Review, by: { userId: string; at: number }): Promise<void>;
}
