import type { Actor, ApprovalRequest, AuditRecord } from "../store/records.js";

/**
 * The approval request as a state machine: `(request, event, now) → (request′, effects)`, pure.
 * The service stores the result (conditional on the version it read) and then carries out the
 * effects; nothing here reads a clock, a store or Slack.
 *
 *   pending ──approve (enough)──▶ approved ──claim-run──▶ approved (executedAt)
 *      │   ──approve (more due)─▶ pending
 *      ├──reject──▶ rejected      ├──cancel──▶ cancelled      └──expire──▶ expired
 */
export type ApprovalEvent =
  | { type: "posted"; messageTs: string }
  | { type: "approve"; actor: Actor; channelId?: string }
  | { type: "reject"; actor: Actor; channelId?: string; reason?: string }
  | { type: "cancel"; actor: Actor }
  | { type: "expire" }
  | { type: "claim-run" }
  | { type: "message-settled" };

/** What to do once the new state is stored. */
export type ApprovalEffect =
  /** Redraw the request's message (approval count, or buttons gone once decided). */
  | { type: "refresh-message" }
  /** The message must lose its buttons; mark it settled once it has. */
  | { type: "settle-message" }
  /** Hand the approved action over to its workflow (a purge or a change), once. */
  | { type: "run" };

/** Why an event changes nothing: a code with what the words need, worded at the edge. */
export type ApprovalRefusal =
  | { code: "not-pending"; state: ApprovalRequest["state"] }
  | { code: "expired" }
  | { code: "already-approved-by-you"; remaining: number }
  | { code: "own-request-reject" }
  | { code: "not-requester" }
  | { code: "already-run" };

export type ApprovalTransition =
  | { ok: true; request: ApprovalRequest; audit: AuditRecord[]; effects: ApprovalEffect[] }
  | { ok: false; refusal: ApprovalRefusal };

const refuse = (refusal: ApprovalRefusal): ApprovalTransition => ({ ok: false, refusal });

export function transition(request: ApprovalRequest, event: ApprovalEvent, now: number): ApprovalTransition {
  const context = { distributionId: request.distributionId, requestId: request.id };
  switch (event.type) {
    case "posted":
      return { ok: true, request: { ...request, messageTs: event.messageTs }, audit: [], effects: [] };
    case "message-settled":
      return { ok: true, request: { ...request, messageSettled: true }, audit: [], effects: [] };
    case "claim-run":
      if (request.state !== "approved") return refuse({ code: "not-pending", state: request.state });
      if (request.executedAt !== undefined) return refuse({ code: "already-run" });
      return { ok: true, request: { ...request, executedAt: now }, audit: [], effects: [{ type: "run" }] };
    case "expire":
      if (request.state !== "pending") return refuse({ code: "not-pending", state: request.state });
      return {
        ok: true,
        request: { ...request, state: "expired" },
        audit: [
          {
            type: "approval.expired",
            ...context,
            channelId: request.channelId,
            summary: `Expired with ${request.approvals.length} of ${request.approvalsRequired} approvals`,
          },
        ],
        effects: [{ type: "settle-message" }],
      };
    case "cancel":
      if (request.requestedBy.userId !== event.actor.userId) return refuse({ code: "not-requester" });
      if (request.state !== "pending") return refuse({ code: "not-pending", state: request.state });
      return {
        ok: true,
        request: { ...request, state: "cancelled", decidedBy: { userId: event.actor.userId, at: now } },
        audit: [
          {
            type: "approval.cancelled",
            actor: event.actor,
            ...context,
            summary: "Withdrawn by the requester",
          },
        ],
        effects: [{ type: "settle-message" }],
      };
    case "reject":
      if (request.state !== "pending") return refuse({ code: "not-pending", state: request.state });
      if (now >= request.expiresAt) return refuse({ code: "expired" });
      if (request.requestedBy.userId === event.actor.userId) return refuse({ code: "own-request-reject" });
      return {
        ok: true,
        request: {
          ...request,
          state: "rejected",
          decidedBy: {
            userId: event.actor.userId,
            at: now,
            ...(event.reason ? { reason: event.reason } : {}),
          },
        },
        audit: [
          {
            type: "approval.rejected",
            actor: event.actor,
            ...(event.channelId ? { channelId: event.channelId } : {}),
            ...context,
            summary: event.reason ? `Rejected: ${event.reason}` : "Rejected",
          },
        ],
        effects: [{ type: "settle-message" }],
      };
    case "approve": {
      if (request.state !== "pending") return refuse({ code: "not-pending", state: request.state });
      if (now >= request.expiresAt) return refuse({ code: "expired" });
      const remaining = request.approvalsRequired - request.approvals.length;
      if (request.approvals.some((a) => a.userId === event.actor.userId))
        return refuse({ code: "already-approved-by-you", remaining });
      const approvals = [...request.approvals, { userId: event.actor.userId, at: now }];
      const complete = approvals.length >= request.approvalsRequired;
      return {
        ok: true,
        request: {
          ...request,
          approvals,
          ...(complete
            ? { state: "approved" as const, decidedBy: { userId: event.actor.userId, at: now } }
            : {}),
        },
        audit: [
          {
            type: "approval.approved",
            actor: event.actor,
            ...(event.channelId ? { channelId: event.channelId } : {}),
            ...context,
            summary: `Approval ${approvals.length} of ${request.approvalsRequired}`,
          },
        ],
        // Approved: the run is claimed in a transition of its own, so a crash here leaves it for the sweep.
        effects: [{ type: "refresh-message" }],
      };
    }
  }
}

/** What the sweep should do about a request now, if anything. */
export function dueEvent(request: ApprovalRequest, now: number): ApprovalEvent | undefined {
  if (request.state === "pending" && now >= request.expiresAt) return { type: "expire" };
  if (request.state === "approved" && request.executedAt === undefined) return { type: "claim-run" };
  return undefined;
}
