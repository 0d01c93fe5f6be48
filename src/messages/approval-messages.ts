import type { KnownBlock, ModalView } from "@slack/types";
import { describeBlastRadius, describePolicyCopy } from "../changes/cache-policy-change.js";
import { diffLines } from "../changes/describe-change.js";
import { shareOf } from "../changes/staged-machine.js";
import { describePreview } from "../purge/purge-preview.js";
import { clientOf } from "../store/actors.js";
import type { ApprovalRequest, AuditEntry, Review } from "../store/records.js";
import { describeAuditType } from "./audit-words.js";
import { changeContextLines } from "./change-messages.js";
import {
  approvedBy,
  code,
  context,
  escapeText,
  formatTime,
  listMessage,
  mention,
  plural,
  type SlackMessage,
  section,
  targetName,
} from "./format.js";
import { type Cell, dataTable, withNativeTable } from "./native-blocks.js";

export const APPROVE_ACTION_ID = "approval_approve";
export const REJECT_ACTION_ID = "approval_reject";

/** What the request will do, in `text` and in mrkdwn; every value in it is escaped. */
export function whatWillHappen(request: ApprovalRequest): { text: string; markdown: string } {
  const p = request.payload;
  // A tenant's request names the tenant, `saas/acme`, as its commands do.
  const target = targetName(request);
  const where = `${escapeText(target)} (${escapeText(request.distributionId)})`;
  if (p.kind === "change") {
    const lines = diffLines(p.diffs).map(escapeText);
    const spec = p.spec;
    const verb = spec.kind === "rollback" ? `roll back change ${escapeText(spec.of)} on` : "change";
    // Where the fields live in a shared cache policy, the approver sees who else it reaches.
    const blast = p.policy
      ? escapeText(describeBlastRadius(p.policy))
      : p.policyCopy
        ? escapeText(describePolicyCopy(p.policyCopy))
        : "";
    // A staged change reaches a share of the traffic first, on a staging copy.
    const staged = p.staged
      ? escapeText(
          `staged first: ${shareOf({ traffic: p.staged })} go to a staging copy, compared with the rest, before it is promoted`,
        )
      : "";
    // Infrastructure as code owns it; the requester's reason.
    const said = changeContextLines(p, request.alias);
    return {
      text: `${verb} ${where}: ${[lines.join("; "), blast, staged, ...said.map((l) => l.text)]
        .filter(Boolean)
        .map((part) => part.replace(/\.$/, ""))
        .join(". ")}`,
      markdown: `${verb} *${code(target)}* (${escapeText(request.distributionId)}):\n${lines.map((l) => `• ${l}`).join("\n")}${blast ? `\n:warning: ${blast}` : ""}${staged ? `\n:test_tube: ${staged}` : ""}${said.map((l) => `\n${l.markdown}`).join("")}`,
    };
  }
  if (p.kind === "environment") {
    const made = `${escapeText(p.originDomain)}${p.aliasHost ? `, alias ${escapeText(p.aliasHost)}` : ""}`;
    if (p.action === "create")
      return {
        text: `create environment ${escapeText(p.name)}: a new distribution from template ${escapeText(p.template)} (a copy of ${where}) with origin ${made}`,
        markdown: `create environment *${code(p.name)}*: a new distribution from template ${code(p.template)} (a copy of ${where}), origin ${made}`,
      };
    return {
      text: `delete environment ${where}: disable it, wait until it is Deployed, then delete the distribution`,
      markdown: `delete environment *${code(request.alias)}* (${escapeText(request.distributionId)}): disable it, wait until it is Deployed, then delete the distribution`,
    };
  }
  const shown = p.paths.slice(0, 20);
  const more = p.paths.length > shown.length ? ` and ${p.paths.length - shown.length} more` : "";
  return {
    text: `purge ${plural(p.paths.length, "path")} from ${where}: ${shown.map(escapeText).join(", ")}${more}`,
    markdown: `purge ${plural(p.paths.length, "path")} from *${code(target)}* (${escapeText(request.distributionId)}):\n${shown.map(code).join(", ")}${more}`,
  };
}

const STATE_LINE: Record<ApprovalRequest["state"], (r: ApprovalRequest) => string> = {
  pending: (r) =>
    `Waiting for ${plural(r.approvalsRequired - r.approvals.length, "approval")}` +
    `${r.approvals.length ? ` (approved so far by ${approvedBy(r.approvals)})` : ""}. Expires ${formatTime(r.expiresAt)}.`,
  approved: (r) => `Approved by ${approvedBy(r.approvals)}; carrying it out (its thread says how it goes).`,
  rejected: (r) =>
    `Rejected by ${mention(r.decidedBy?.userId ?? "unknown")}${r.decidedBy ? ` at ${formatTime(r.decidedBy.at)}` : ""}${r.decidedBy?.reason ? `: ${code(r.decidedBy.reason)}` : ""}${r.approvals.length ? ` (approved before by ${approvedBy(r.approvals)})` : ""}. Nothing was done.`,
  expired: (r) => `Expired at ${formatTime(r.expiresAt)} without enough approvals. Nothing was done.`,
  cancelled: () => "Withdrawn by the requester. Nothing was done.",
};

/** A decision, in the request's thread: who, when, and how far the request got. */
export function decisionNote(
  request: ApprovalRequest,
  decision: { userId: string; verdict: "approve" | "reject"; at: number; reason?: string },
): SlackMessage {
  const when = formatTime(decision.at);
  const text =
    decision.verdict === "reject"
      ? `${mention(decision.userId)} rejected request ${escapeText(request.id)} at ${when}${decision.reason ? `: ${code(decision.reason)}` : ""}. Nothing will be done.`
      : `${mention(decision.userId)} approved request ${escapeText(request.id)} at ${when} (${request.approvals.length} of ${request.approvalsRequired})${request.state === "approved" ? "; it is carried out now" : `; ${plural(request.approvalsRequired - request.approvals.length, "more approval")} needed`}.`;
  return { text, blocks: [context(text)] };
}

export const STEP_UP_CALLBACK_ID = "approval_step_up";

/**
 * The step-up window: exactly what approving will do (the request's preview, its cost), and an
 * Approve that is the approval. It carries only the request's id; the rest is looked up on submit.
 */
export function stepUpView(request: ApprovalRequest): ModalView {
  const what = whatWillHappen(request);
  const blocks: KnownBlock[] = [
    section(`${mention(request.requestedBy.userId)} asks to ${what.markdown}`.slice(0, 3000)),
  ];
  if (request.estimatedCost) blocks.push(section(`*Estimated cost:* ${escapeText(request.estimatedCost)}`));
  blocks.push(
    context(
      `Request ${code(request.id)} · expires ${formatTime(request.expiresAt)} · Approve here approves it as you; Cancel changes nothing.`,
    ),
  );
  return {
    type: "modal",
    callback_id: STEP_UP_CALLBACK_ID,
    private_metadata: request.id,
    title: { type: "plain_text", text: "Approve this request?" },
    submit: { type: "plain_text", text: "Approve" },
    close: { type: "plain_text", text: "Cancel" },
    blocks,
  };
}

/** What the step-up window says instead when its Approve could not approve (and why). */
export function stepUpRefusedView(why: string): ModalView {
  return {
    type: "modal",
    callback_id: STEP_UP_CALLBACK_ID,
    title: { type: "plain_text", text: "Not approved" },
    close: { type: "plain_text", text: "Close" },
    blocks: [section(escapeText(why))],
  };
}

/** Approve and Reject: each button's value is only the request's id; everything else is looked up. */
export function approvalButtons(requestId: string, blockId: string): KnownBlock {
  return {
    type: "actions",
    block_id: blockId,
    elements: [
      {
        type: "button",
        action_id: APPROVE_ACTION_ID,
        style: "primary",
        text: { type: "plain_text", text: "Approve" },
        value: requestId,
      },
      {
        type: "button",
        action_id: REJECT_ACTION_ID,
        style: "danger",
        text: { type: "plain_text", text: "Reject" },
        value: requestId,
      },
    ],
  };
}

export function approvalRequestMessage(request: ApprovalRequest): SlackMessage {
  const what = whatWillHappen(request);
  const stateLine = STATE_LINE[request.state](request);
  const stateWord =
    request.state === "pending"
      ? "Pending approval"
      : request.state[0]!.toUpperCase() + request.state.slice(1);
  const cost = request.estimatedCost ? escapeText(request.estimatedCost) : undefined;
  // Why it waits, beyond the policy's own rule: past the month's cap, past the client's (the cost
  // has its own line).
  const why =
    request.payload.kind === "purge"
      ? request.payload.notes.filter((n) => !n.startsWith("Cost: ")).map(escapeText)
      : [];
  const text =
    `${stateWord}: request ${request.id}. ${mention(request.requestedBy.userId)} asks to ${what.text}. ` +
    `${cost ? `Cost: ${cost} ` : ""}${why.length > 0 ? `${why.join(" ")} ` : ""}${stateLine}`;
  const blocks: KnownBlock[] = [
    section(`:lock: *${stateWord}* · ${mention(request.requestedBy.userId)} asks to ${what.markdown}`),
  ];
  if (cost) blocks.push(section(`*Estimated cost:* ${cost}`));
  if (request.payload.kind === "purge" && request.payload.preview)
    blocks.push(
      section(
        `*Cost and room:* ${escapeText(describePreview(targetName(request), request.payload.preview))}`,
      ),
    );
  if (why.length > 0) blocks.push(context(why.join("\n")));
  blocks.push(section(stateLine));
  if (request.state === "pending") {
    blocks.push(approvalButtons(request.id, "approval"));
    // What people can still do with it is only worth saying while it is open.
    blocks.push(
      context(
        `Request ${code(request.id)} · the requester cannot approve it · \`/cdn cancel ${request.id}\` withdraws it, \`/cdn reject ${request.id} <reason>\` rejects it with a reason`,
      ),
    );
  } else {
    blocks.push(context(`Request ${code(request.id)}`));
  }
  return { text, blocks };
}

export function pendingListMessage(
  items: { request: ApprovalRequest; role: "approver" | "requester" }[],
  reviews: { review: Review; role: "approver" | "requester" }[] = [],
): SlackMessage {
  if (items.length === 0 && reviews.length === 0)
    return {
      text: "No open requests you can act on.",
      blocks: [section("No open requests you can act on.")],
    };
  // Break-glass changes nobody reviewed yet come first: they already ran.
  const reviewLines = [...reviews]
    .sort((a, b) => b.review.createdAt - a.review.createdAt)
    .map(
      ({ review, role }) =>
        `${escapeText(review.id)}: BREAK-GLASS, not reviewed yet: ${mention(review.requestedBy.userId)} ran a change to ${escapeText(review.tenant ? `${review.alias}/${review.tenant}` : review.alias)} without approval at ${formatTime(review.createdAt)}: ${escapeText(review.summary)} (reason ${code(review.reason)}; ${role === "approver" ? "acknowledge it in its message, or in the Home tab, once you have looked" : "yours: an approver reviews it"})`,
    );
  // Newest first: the one just asked for is the one people look for.
  const newest = [...items].sort((a, b) => b.request.createdAt - a.request.createdAt);
  const lines = newest.map(({ request, role }) => {
    const what = whatWillHappen(request).text;
    const verb =
      role === "requester"
        ? `yours: \`/cdn cancel ${request.id}\` withdraws it`
        : "you may approve or reject it";
    return `${request.id}: ${mention(request.requestedBy.userId)} asks to ${what} (expires ${formatTime(request.expiresAt)}; ${verb})`;
  });
  lines.unshift(...reviewLines);
  const heading = (shown: number) =>
    shown < lines.length
      ? `Showing the newest ${shown} of ${lines.length} open requests you can act on; decide these, and \`/cdn pending\` shows the next.`
      : `${plural(lines.length, "open request")} you can act on, newest first:`;
  const classic = listMessage(lines, heading);
  // Natively: a row a request (break-glass reviews first), the people as live mentions.
  const rows: Cell[][] = [
    ...[...reviews]
      .sort((a, b) => b.review.createdAt - a.review.createdAt)
      .map(({ review, role }): Cell[] => [
        review.id,
        "BREAK-GLASS review",
        { user: review.requestedBy.userId },
        `${review.tenant ? `${review.alias}/${review.tenant}` : review.alias}: ${review.summary} (reason: ${review.reason})`,
        "until reviewed",
        role === "approver" ? "acknowledge it once you have looked" : "yours: an approver reviews it",
      ]),
    ...newest.map(({ request, role }): Cell[] => [
      request.id,
      request.action,
      clientOf(request.requestedBy.userId)
        ? request.requestedBy.userId
        : { user: request.requestedBy.userId },
      whatWillHappenPlain(request),
      formatTime(request.expiresAt),
      role === "requester" ? `yours: /cdn cancel ${request.id}` : "approve or reject it",
    ]),
  ];
  const table = dataTable(
    "Open requests you can act on, newest first",
    ["Request", "Kind", "Asked by", "What", "Expires", "You"],
    rows,
    10,
  );
  return withNativeTable(classic, table, [section(heading(Math.min(rows.length, 100)))]);
}

/** The audit log's entries, newest first as given. */
export function auditMessage(entries: AuditEntry[], scope: string): SlackMessage {
  const where = escapeText(scope);
  if (entries.length === 0)
    return { text: `No audit entries ${where}.`, blocks: [section(`No audit entries ${where}.`)] };
  const lines = entries.map((e) => {
    const who = e.actor ? mention(e.actor.userId) : "cdnbot";
    const ids = [e.requestId, e.operationId].filter(Boolean).join(" ");
    const aws = e.awsRequestId ? ` (AWS request ${e.awsRequestId})` : "";
    const fields = [
      formatTime(e.at),
      escapeText(describeAuditType(e.type)),
      who,
      ...(e.distributionId ? [escapeText(e.distributionId)] : []),
      ...(ids ? [escapeText(ids)] : []),
      `${escapeText(e.summary)}${e.outcome === "error" ? " · error" : ""}${escapeText(aws)}`,
    ];
    return fields.join(" · ");
  });
  // Newest first (as given), so a long log that does not fit loses its oldest entries, not its newest.
  const heading = (shown: number) =>
    shown < lines.length
      ? `Audit log ${where}: the newest ${shown} of the ${lines.length} asked for, newest first. \`npm run audit\` exports all of it.`
      : `Audit log ${where}, newest first (${plural(lines.length, "entry", "entries")}):`;
  const classic = listMessage(lines, heading);
  const table = dataTable(
    `Audit log ${scope}, newest first`,
    ["Time", "Event", "Who", "Distribution", "Request", "What"],
    entries.map((e): Cell[] => [
      formatTime(e.at),
      describeAuditType(e.type),
      e.actor && !clientOf(e.actor.userId) ? { user: e.actor.userId } : (e.actor?.userId ?? "cdnbot"),
      e.distributionId ?? "",
      [e.requestId, e.operationId].filter(Boolean).join(" "),
      `${e.summary}${e.outcome === "error" ? " · error" : ""}${e.awsRequestId ? ` (AWS request ${e.awsRequestId})` : ""}`,
    ]),
    20,
  );
  return withNativeTable(classic, table, [section(heading(Math.min(entries.length, 100)))]);
}

/** What a request will do, as plain text (a table cell shows it as typed). */
function whatWillHappenPlain(request: ApprovalRequest): string {
  return whatWillHappen(request).text.replace(
    /&(lt|gt|amp);/g,
    (_, e: string) => ({ lt: "<", gt: ">", amp: "&" })[e] ?? "",
  );
}
