import type { HomeView, KnownBlock } from "@slack/types";
import type {
  ApprovalRequest,
  AuditEntry,
  ChangeOperation,
  PurgeOperation,
  Review,
} from "../store/records.js";
import { approvalButtons, whatWillHappen } from "./approval-messages.js";
import { describeAuditType } from "./audit-words.js";
import {
  code,
  context,
  escapeText,
  formatTime,
  mention,
  plural,
  section,
  slackLink,
  targetName,
} from "./format.js";
import { reviewButton } from "./review-messages.js";

/** What the Home tab shows one person; gathered by the /cdn side, drawn here. */
export type HomeFacts = {
  purges: { op: PurgeOperation; link?: string }[];
  changes: { op: ChangeOperation; link?: string }[];
  actionable: { request: ApprovalRequest; role: "approver" | "requester"; link?: string }[];
  /** Break-glass changes not reviewed yet: the viewer's to acknowledge, or the viewer's own. */
  reviews: { review: Review; role: "approver" | "requester"; link?: string }[];
  recent: AuditEntry[];
  at: number;
};

const SHOWN = 10;

function thread(link: string | undefined): string {
  return link ? ` · ${slackLink(link, "thread")}` : "";
}

function header(text: string): KnownBlock {
  return { type: "header", text: { type: "plain_text", text } };
}

/** The bot's Home tab: work in flight, the requests the viewer may act on (with buttons), recent activity. */
export function homeView(facts: HomeFacts, notice?: string): HomeView {
  const blocks: KnownBlock[] = [];
  if (notice) blocks.push(section(`:information_source: ${escapeText(notice)}`));

  blocks.push(
    header(facts.actionable.length > 0 ? `Waiting for you (${facts.actionable.length})` : "Waiting for you"),
  );
  if (facts.actionable.length === 0) blocks.push(context("No open request you can approve or withdraw."));
  // Newest first: what was just asked for is what the viewer came for.
  const actionable = [...facts.actionable].sort((a, b) => b.request.createdAt - a.request.createdAt);
  if (actionable.length > SHOWN)
    blocks.push(context(`The newest ${SHOWN} of ${actionable.length}; \`/cdn pending\` lists them all.`));
  for (const { request, role, link } of actionable.slice(0, SHOWN)) {
    blocks.push(
      section(
        `*${code(request.id)}* · ${mention(request.requestedBy.userId)} asks to ${whatWillHappen(request).markdown} · expires ${formatTime(request.expiresAt)}${thread(link)}`,
      ),
    );
    if (role === "approver") {
      blocks.push(approvalButtons(request.id, `home-${request.id}`));
    } else {
      blocks.push(context(`Yours: \`/cdn cancel ${request.id}\` withdraws it.`));
    }
  }

  if (facts.reviews.length > 0) {
    blocks.push(header(`Break-glass to review (${facts.reviews.length})`));
    for (const { review, role, link } of facts.reviews.slice(0, SHOWN)) {
      blocks.push(
        section(
          `:rotating_light: *${code(review.id)}* · ${mention(review.requestedBy.userId)} ran a change to ${code(review.tenant ? `${review.alias}/${review.tenant}` : review.alias)} without approval at ${formatTime(review.createdAt)}: ${escapeText(review.summary)} · reason ${code(review.reason)}${thread(link)}`,
        ),
      );
      blocks.push(
        role === "approver"
          ? reviewButton(review.id, `home-review-${review.id}`)
          : context("Yours: an approver reviews it."),
      );
    }
  }

  blocks.push(header("In flight"));
  if (facts.purges.length + facts.changes.length === 0) blocks.push(context("No purge or change in flight."));
  for (const { op, link } of facts.purges.slice(0, SHOWN)) {
    const state =
      op.state === "in-progress"
        ? `InProgress (invalidation ${escapeText(op.invalidationId ?? "?")})`
        : "Requested";
    blocks.push(
      section(
        `:broom: ${code(targetName(op))} · purge of ${plural(op.paths.length, "path")} by ${mention(op.requestedBy.userId)} · ${state}${thread(link)}`,
      ),
    );
  }
  for (const { op, link } of facts.changes.slice(0, SHOWN)) {
    const state = op.state === "deploying" ? "deploying" : op.state === "staged" ? "staged" : "being written";
    blocks.push(
      section(
        `:gear: ${code(targetName(op))} · change ${code(op.id)} by ${mention(op.requestedBy.userId)} · ${state}${thread(link)}`,
      ),
    );
  }

  blocks.push(header("Recent activity"));
  if (facts.recent.length === 0) blocks.push(context("Nothing yet."));
  const lines = facts.recent
    .slice(0, SHOWN)
    .map(
      (e) =>
        `${formatTime(e.at)} · ${escapeText(describeAuditType(e.type))} · ${e.actor ? mention(e.actor.userId) : "cdnbot"} · ${escapeText(e.summary)}`,
    );
  if (lines.length > 0) blocks.push(section(lines.join("\n")));
  blocks.push(context(`Updated ${formatTime(facts.at)} · \`/cdn help\` lists every command.`));
  return { type: "home", blocks };
}
