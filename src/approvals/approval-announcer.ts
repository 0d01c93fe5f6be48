import type { ApprovalRequest } from "../store/records.js";

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
}
