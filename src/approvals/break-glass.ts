import { UserError } from "../errors.js";
import { clientOf, sameWorkspace } from "../store/actors.js";
import { ConflictError } from "../store/record-store.js";
import type { Actor, AuditRecord, ChangeOperation, Review } from "../store/records.js";
import { retryOnConflict } from "../store/retry-on-conflict.js";
import { quote } from "../text/plain-text.js";
import type { ApprovalDeps } from "./approval-service.js";
import {
  type Decision,
  describePrincipals,
  type EffectivePolicy,
  type GroupLookup,
  isAmong,
  mayApprove,
} from "./policy.js";

/** How often the approvers are reminded of a break-glass change nobody has reviewed. */
export const REVIEW_REMINDER_MS = 24 * 3_600_000;

/**
 * The requester posts a review's message right after the change's own; the sweep posts only what a
 * crash left unposted, past this age, so the two never post it at the same time.
 */
const UNPOSTED_AFTER_MS = 30_000;

/**
 * Whether this person may break glass on a distribution: only people the policy names (nobody where
 * it names none), and never an API client or an agent, whatever the policy says.
 */
export async function mayBreakGlass(
  policy: EffectivePolicy,
  userId: string,
  membersOf: GroupLookup,
): Promise<Decision> {
  if (clientOf(userId))
    return {
      allowed: false,
      reason:
        "break-glass is for people in Slack during an incident; API clients and agents wait for approval",
    };
  if (!policy.breakGlass)
    return { allowed: false, reason: "its policy names nobody who may break glass (`policy.breakGlass`)" };
  if (!(await isAmong(policy.breakGlass, userId, membersOf)))
    return { allowed: false, reason: `only ${describePrincipals(policy.breakGlass)} may break glass on it` };
  return { allowed: true };
}

/** The review a break-glass change opens, stored in the same commit as the change. */
export function newReview(change: ChangeOperation, reason: string, now: number): Review {
  return {
    version: 0,
    id: change.id,
    alias: change.alias,
    distributionId: change.distributionId,
    ...(change.tenant ? { tenant: change.tenant.name } : {}),
    requestedBy: change.requestedBy,
    channelId: change.channelId,
    reason,
    summary: change.summary,
    createdAt: now,
  };
}

/** The audit entry that marks a change run under break-glass. */
export function breakGlassAudit(change: ChangeOperation, reason: string): AuditRecord {
  return {
    type: "change.break-glass",
    actor: change.requestedBy,
    channelId: change.channelId,
    alias: change.alias,
    distributionId: change.distributionId,
    requestId: change.id,
    summary: `Ran without approval (break-glass): ${change.summary}. Reason: ${quote(reason)}`,
    details: { reason, diffs: change.diffs, ...(change.iac ? { iac: change.iac } : {}) },
  };
}

/**
 * Posts a review's message, once: an earlier post a crash left unrecorded is found by its marker
 * first. Its ts is stored on the review (unless it was acknowledged meanwhile).
 */
export async function postReview(deps: ApprovalDeps, review: Review): Promise<void> {
  const approvers = deps.policyFor(review.alias, review.tenant).approvers;
  const ts =
    (await deps.announcer.findReview(review)) ?? (await deps.announcer.postReview(review, approvers));
  await retryOnConflict(async () => {
    const current = await deps.records.get("review", review.id);
    if (!current || current.messageTs) return;
    await deps.records.commit(
      {
        writes: [
          {
            kind: "review",
            op: "replace",
            record: { ...current, messageTs: ts, version: current.version + 1 },
            expectedVersion: current.version,
          },
        ],
      },
      deps.clock(),
    );
  });
}

/**
 * The approvals job's part for reviews: a review a crash left unposted is posted; one nobody has
 * acknowledged for a day is reminded of (the reminder's time stored first: at most one a day).
 */
export async function sweepReviews(deps: ApprovalDeps): Promise<void> {
  const now = deps.clock();
  for (const review of await deps.records.list("review")) {
    try {
      if (!review.messageTs) {
        if (now - review.createdAt >= UNPOSTED_AFTER_MS) await postReview(deps, review);
        continue;
      }
      if (now - (review.remindedAt ?? review.createdAt) < REVIEW_REMINDER_MS) continue;
      const reminded = { ...review, remindedAt: now, version: review.version + 1 };
      await deps.records.commit(
        { writes: [{ kind: "review", op: "replace", record: reminded, expectedVersion: review.version }] },
        now,
      );
      await deps.announcer.remindReview(reminded, deps.policyFor(review.alias, review.tenant).approvers);
    } catch (error) {
      // Another replica moved it first (it posts or reminds instead); anything else, next pass.
      if (!(error instanceof ConflictError))
        deps.logger.warn("A break-glass review could not be posted or reminded of", {
          reviewId: review.id,
          error,
        });
    }
  }
}

/**
 * An approver acknowledges a break-glass change: the same people who could have approved it (never
 * its requester, never a client). The review is closed in one conditional commit with its audit
 * entry; its message then says who reviewed it and when.
 */
export async function acknowledgeReview(
  deps: ApprovalDeps,
  input: { reviewId: string; actor: Actor },
): Promise<string> {
  const review = await deps.records.get("review", input.reviewId);
  if (!review)
    throw new UserError(
      `There is no open break-glass review ${quote(input.reviewId.slice(0, 40))}: it was acknowledged already, or never opened. Nothing was changed.`,
    );
  if (!sameWorkspace(review.requestedBy, input.actor))
    throw new UserError("This review belongs to another workspace. Nothing was changed.");
  if (review.requestedBy.userId === input.actor.userId)
    throw new UserError(
      `You broke glass for change ${review.id}, so you cannot review it: an approver must. Nothing was changed.`,
    );
  const allowed = await mayApprove(
    deps.policyFor(review.alias, review.tenant),
    review,
    input.actor.userId,
    deps.membersOf,
  );
  if (!allowed.allowed) throw new UserError(`${allowed.reason} Nothing was changed.`);
  const now = deps.clock();
  try {
    await deps.records.commit(
      {
        writes: [{ kind: "review", op: "delete", id: review.id, expectedVersion: review.version }],
        audit: [
          {
            type: "break-glass.reviewed",
            actor: input.actor,
            channelId: review.channelId,
            alias: review.alias,
            distributionId: review.distributionId,
            requestId: review.id,
            summary: `Reviewed break-glass change ${review.id} (by ${review.requestedBy.userId}, reason ${quote(review.reason)})`,
          },
        ],
      },
      now,
    );
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Moved meanwhile: a reminder (try again on what is there now) or someone else's acknowledgement.
    if (await deps.records.get("review", review.id)) return acknowledgeReview(deps, input);
    throw new UserError(`Break-glass change ${review.id} was just acknowledged by someone else.`);
  }
  try {
    await deps.announcer.settleReview(review, { userId: input.actor.userId, at: now });
  } catch (error) {
    deps.logger.warn("A reviewed break-glass message could not be updated", { reviewId: review.id, error });
  }
  return `You acknowledged break-glass change ${review.id}; the audit log records it.`;
}

/** The open reviews this person may acknowledge (approver) or broke glass for (requester). */
export async function reviewsFor(
  deps: ApprovalDeps,
  actor: Actor,
): Promise<{ review: Review; role: "approver" | "requester" }[]> {
  const result: { review: Review; role: "approver" | "requester" }[] = [];
  for (const review of await deps.records.list("review")) {
    if (!sameWorkspace(review.requestedBy, actor)) continue;
    if (review.requestedBy.userId === actor.userId) result.push({ review, role: "requester" });
    else if (
      (await mayApprove(deps.policyFor(review.alias, review.tenant), review, actor.userId, deps.membersOf))
        .allowed
    )
      result.push({ review, role: "approver" });
  }
  return result;
}
