import type { ApprovalRequest } from "../store/records.js";

/** What the approval flow shows in the channel; implemented on the Slack side. */
export interface ApprovalAnnouncer {
  /** Posts the request with its Approve / Reject buttons; returns the message ts. */
  postRequest(request: ApprovalRequest): Promise<string>;
  /** Redraws the request's message for its current state (buttons only while pending). */
  refreshRequest(request: ApprovalRequest): Promise<void>;
}
