import type { KnownBlock } from "@slack/types";
import type { Review } from "../store/records.js";
import {
  callOn,
  code,
  context,
  escapeText,
  formatTime,
  mention,
  type SlackMessage,
  section,
} from "./format.js";

export const ACKNOWLEDGE_REVIEW_ACTION_ID = "review_acknowledge";

/** The Acknowledge button: its value is only the review's id; everything else is looked up. */
export function reviewButton(reviewId: string, blockId: string): KnownBlock {
  return {
    type: "actions",
    block_id: blockId,
    elements: [
      {
        type: "button",
        action_id: ACKNOWLEDGE_REVIEW_ACTION_ID,
        style: "primary",
        text: { type: "plain_text", text: "Acknowledge" },
        value: reviewId,
      },
    ],
  };
}

function target(review: Review): string {
  return review.tenant ? `${review.alias}/${review.tenant}` : review.alias;
}

/**
 * A break-glass change's review, loud while open: who ran what without approval and why, the
 * approvers called on, the Acknowledge button. Once reviewed: who reviewed it and when, no button.
 */
export function reviewMessage(
  review: Review,
  approvers: { users: string[]; groups: string[] } | undefined,
  reviewed?: { userId: string; at: number },
): SlackMessage {
  const what = `${mention(review.requestedBy.userId)} broke glass: change ${escapeText(review.id)} to ${escapeText(target(review))} (${escapeText(review.distributionId)}) ran without approval at ${formatTime(review.createdAt)}: ${escapeText(review.summary)}. Reason: ${code(review.reason)}.`;
  if (reviewed) {
    const by = `Reviewed by ${mention(reviewed.userId)} at ${formatTime(reviewed.at)}.`;
    return {
      text: `Break-glass, reviewed: ${what} ${by}`,
      blocks: [section(`:white_check_mark: *Break-glass, reviewed* · ${what}`), context(by)],
    };
  }
  const ask = `${callOn(approvers)}: an approver reviews it, then acknowledges it here (a reminder comes every day until then).`;
  return {
    text: `Break-glass: ${what} ${ask}`,
    blocks: [
      section(`:rotating_light: *Break-glass* · ${what}`),
      section(ask),
      reviewButton(review.id, "review"),
    ],
  };
}

/** The daily reminder, in the review's thread. */
export function reviewReminder(
  review: Review,
  approvers: { users: string[]; groups: string[] } | undefined,
): SlackMessage {
  const text = `Reminder: break-glass change ${escapeText(review.id)} to ${escapeText(target(review))}, run by ${mention(review.requestedBy.userId)} at ${formatTime(review.createdAt)} (reason ${code(review.reason)}), still waits for an approver's review. ${callOn(approvers)}: acknowledge it in the message above.`;
  return { text, blocks: [section(`:alarm_clock: ${text}`)] };
}
