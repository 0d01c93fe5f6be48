import { randomInt } from "node:crypto";
import { z } from "zod";
import type { PolicyAction } from "../config/policy-schema.js";
import { NotInChannelError, UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import { appendAudit } from "../store/audit-outbox.js";
import type { Actor, ApprovalPayload, ApprovalRequest } from "../store/records.js";
import type { StateStore } from "../store/state-store.js";
import type { ActivityFeed } from "../watch/activity-feed.js";
import type { ApprovalAnnouncer } from "./approval-announcer.js";
import { type EffectivePolicy, type GroupLookup, mayApprove } from "./policy.js";

export const requestIdSchema = z.string().regex(/^R[0-9A-Z]{6}$/, "not a request id");

export type ApprovalDeps = {
  store: StateStore;
  clock: () => number;
  logger: Logger;
  announcer: ApprovalAnnouncer;
  membersOf: GroupLookup;
  policyFor: (alias: string) => EffectivePolicy;
  /** Runs an approved request's action; must be safe to call again for the same request. */
  execute: (request: ApprovalRequest) => Promise<void>;
  /** When this process started: requests older than that without a message lost it in a crash. */
  startedAt?: number;
  /** Watched channels hear about every request that waits for approval. */
  activity?: ActivityFeed;
};

const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

export function newRequestId(): string {
  return `R${Array.from({ length: 6 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("")}`;
}

export function findRequest(store: StateStore, id: string): ApprovalRequest | undefined {
  return store.data.approvals.find((r) => r.id === id);
}

/** A request live or finished (archived, while retained): a late click still gets a true answer. */
async function loadRequest(store: StateStore, id: string): Promise<ApprovalRequest | undefined> {
  return findRequest(store, id) ?? (await store.findArchived("approval", id));
}

async function patchRequest(
  store: StateStore,
  id: string,
  patch: Partial<ApprovalRequest>,
): Promise<ApprovalRequest> {
  return store.update((data) => {
    const request = data.approvals.find((r) => r.id === id);
    if (!request) throw new Error(`approval request ${id} is not in the store`);
    Object.assign(request, patch);
    return { ...request };
  });
}

export type NewApproval = {
  action: PolicyAction;
  alias: string;
  distributionId: string;
  actor: Actor;
  channelId: string;
  payload: ApprovalPayload;
  summary: string;
  estimatedCost?: string;
};

/** Records the request, then posts it with its buttons. No thread, no request. */
export async function openApprovalRequest(deps: ApprovalDeps, input: NewApproval): Promise<ApprovalRequest> {
  const policy = deps.policyFor(input.alias);
  const now = deps.clock();
  const request: ApprovalRequest = {
    version: 0,
    id: newRequestId(),
    action: input.action,
    alias: input.alias,
    distributionId: input.distributionId,
    requestedBy: input.actor,
    channelId: input.channelId,
    createdAt: now,
    expiresAt: now + policy.expiresAfterMs,
    approvalsRequired: policy.approvalsRequired,
    state: "pending",
    approvals: [],
    payload: input.payload,
    messageSettled: false,
    ...(input.estimatedCost ? { estimatedCost: input.estimatedCost } : {}),
  };
  await deps.store.update((data) => {
    data.approvals.push(request);
    appendAudit(data, now, {
      type: "approval.requested",
      actor: input.actor,
      channelId: input.channelId,
      alias: input.alias,
      distributionId: input.distributionId,
      requestId: request.id,
      summary: input.summary,
    });
  });
  let messageTs: string;
  try {
    messageTs = await deps.announcer.postRequest(request);
  } catch (error) {
    await deps.store.update((data) => {
      data.approvals = data.approvals.filter((r) => r.id !== request.id);
      appendAudit(data, deps.clock(), {
        type: "approval.withdrawn",
        actor: input.actor,
        channelId: input.channelId,
        distributionId: input.distributionId,
        requestId: request.id,
        summary: "The request could not be posted in the channel",
        outcome: "error",
      });
    });
    throw error instanceof NotInChannelError
      ? error.because("No request was opened and nothing was sent to AWS.")
      : error;
  }
  const posted = await patchRequest(deps.store, request.id, { messageTs });
  await deps.activity?.publish({
    kind: input.payload.kind,
    stage: "awaiting approval",
    distributionId: input.distributionId,
    alias: input.alias,
    actorUserId: input.actor.userId,
    channelId: input.channelId,
    messageTs,
    summary: `${input.summary} waits for approval as ${request.id}`,
  });
  return posted;
}

export type Verdict = "approve" | "reject";

export type DecisionInput = {
  requestId: string;
  actor: Actor;
  channelId?: string;
  verdict: Verdict;
  reason?: string;
};

function describeDecided(request: ApprovalRequest): string {
  switch (request.state) {
    case "approved":
      return `Request ${request.id} was already approved; nothing more to do.`;
    case "rejected":
      return `Request ${request.id} was already rejected.`;
    case "expired":
      return `Request ${request.id} expired; ask again if it is still needed.`;
    case "cancelled":
      return `Request ${request.id} was withdrawn by its requester.`;
    default:
      return `Request ${request.id} is ${request.state}.`;
  }
}

/**
 * Records an approval or a rejection. The check and the change happen in one store update, so a
 * double click or two approvers at once count once and run the action once.
 */
export async function decide(deps: ApprovalDeps, input: DecisionInput): Promise<string> {
  const seen = await loadRequest(deps.store, input.requestId);
  if (!seen) throw new UserError(`There is no approval request ${input.requestId}. Nothing was changed.`);
  if (seen.requestedBy.teamId !== input.actor.teamId) {
    throw new UserError("This request belongs to another workspace. Nothing was changed.");
  }
  if (seen.state !== "pending") throw new UserError(describeDecided(seen));
  if (deps.clock() >= seen.expiresAt) {
    await expireRequest(deps, seen.id);
    throw new UserError(`Request ${seen.id} has expired; ask again if it is still needed.`);
  }
  if (input.verdict === "reject" && seen.requestedBy.userId === input.actor.userId) {
    throw new UserError(
      `This is your own request: \`/cdn cancel ${seen.id}\` withdraws it. Nothing was changed.`,
    );
  }
  const allowed = await mayApprove(deps.policyFor(seen.alias), seen, input.actor.userId, deps.membersOf);
  if (!allowed.allowed) throw new UserError(allowed.reason);

  const outcome = await deps.store.update((data) => {
    const request = data.approvals.find((r) => r.id === input.requestId);
    const now = deps.clock();
    if (request?.state !== "pending") return { kind: "late" as const, request };
    if (input.verdict === "reject") {
      request.state = "rejected";
      request.decidedBy = {
        userId: input.actor.userId,
        at: now,
        ...(input.reason ? { reason: input.reason } : {}),
      };
      appendAudit(data, now, {
        type: "approval.rejected",
        actor: input.actor,
        ...(input.channelId ? { channelId: input.channelId } : {}),
        distributionId: request.distributionId,
        requestId: request.id,
        summary: input.reason ? `Rejected: ${input.reason}` : "Rejected",
      });
      return { kind: "rejected" as const, request: { ...request } };
    }
    if (request.approvals.some((a) => a.userId === input.actor.userId))
      return { kind: "duplicate" as const, request };
    request.approvals.push({ userId: input.actor.userId, at: now });
    const complete = request.approvals.length >= request.approvalsRequired;
    if (complete) {
      request.state = "approved";
      request.decidedBy = { userId: input.actor.userId, at: now };
    }
    appendAudit(data, now, {
      type: "approval.approved",
      actor: input.actor,
      ...(input.channelId ? { channelId: input.channelId } : {}),
      distributionId: request.distributionId,
      requestId: request.id,
      summary: `Approval ${request.approvals.length} of ${request.approvalsRequired}`,
    });
    return { kind: complete ? ("approved" as const) : ("counted" as const), request: { ...request } };
  });

  switch (outcome.kind) {
    case "late":
      throw new UserError(
        outcome.request
          ? describeDecided(outcome.request)
          : `There is no approval request ${input.requestId}.`,
      );
    case "duplicate":
      return `You already approved request ${input.requestId}; it needs ${outcome.request.approvalsRequired - outcome.request.approvals.length} more.`;
    case "rejected":
      await settleMessage(deps, outcome.request);
      return `You rejected request ${outcome.request.id}. Nothing will be done.`;
    case "counted":
      await refreshQuietly(deps, outcome.request);
      return `Your approval of ${outcome.request.id} is recorded; it needs ${outcome.request.approvalsRequired - outcome.request.approvals.length} more.`;
    case "approved":
      await refreshQuietly(deps, outcome.request);
      await runApproved(deps, outcome.request);
      return `You approved request ${outcome.request.id}; it is running now.`;
  }
}

/** Hands an approved request to its executor once; a restart finds any that were not handed over. */
export async function runApproved(deps: ApprovalDeps, request: ApprovalRequest): Promise<void> {
  await ensurePosted(deps, request);
  const claimed = await deps.store.update((data) => {
    const r = data.approvals.find((x) => x.id === request.id);
    if (r?.state !== "approved" || r.executedAt !== undefined) return undefined;
    r.executedAt = deps.clock();
    return { ...r };
  });
  if (claimed) await deps.execute(claimed);
}

export async function cancelRequest(deps: ApprovalDeps, requestId: string, actor: Actor): Promise<string> {
  const seen = await loadRequest(deps.store, requestId);
  if (!seen || seen.requestedBy.teamId !== actor.teamId)
    throw new UserError(`There is no approval request ${requestId}.`);
  if (seen.requestedBy.userId !== actor.userId) {
    throw new UserError(`Only the person who asked for ${requestId} can withdraw it.`);
  }
  const cancelled = await deps.store.update((data) => {
    const r = data.approvals.find((x) => x.id === requestId);
    if (r?.state !== "pending") return undefined;
    r.state = "cancelled";
    r.decidedBy = { userId: actor.userId, at: deps.clock() };
    appendAudit(data, deps.clock(), {
      type: "approval.cancelled",
      actor,
      distributionId: r.distributionId,
      requestId,
      summary: "Withdrawn by the requester",
    });
    return { ...r };
  });
  if (!cancelled) throw new UserError(describeDecided(findRequest(deps.store, requestId) ?? seen));
  await settleMessage(deps, cancelled);
  return `Request ${requestId} is withdrawn.`;
}

async function expireRequest(deps: ApprovalDeps, id: string): Promise<void> {
  const expired = await deps.store.update((data) => {
    const r = data.approvals.find((x) => x.id === id);
    if (r?.state !== "pending") return undefined;
    r.state = "expired";
    appendAudit(data, deps.clock(), {
      type: "approval.expired",
      distributionId: r.distributionId,
      requestId: r.id,
      channelId: r.channelId,
      summary: `Expired with ${r.approvals.length} of ${r.approvalsRequired} approvals`,
    });
    return { ...r };
  });
  if (expired) await settleMessage(deps, expired);
}

/**
 * The periodic sweep: expires what is due, redraws messages that still show buttons for a decided
 * request, and runs approved requests a crash left behind. Works from the store alone.
 */
export async function sweepApprovals(deps: ApprovalDeps): Promise<void> {
  const now = deps.clock();
  for (const r of deps.store.data.approvals) {
    if (r.state === "pending" && !r.messageTs && r.createdAt < (deps.startedAt ?? 0))
      await ensurePosted(deps, r);
    if (r.state === "pending" && now >= r.expiresAt) await expireRequest(deps, r.id);
    else if (r.state === "approved" && r.executedAt === undefined) await runApproved(deps, r);
    else if (r.state !== "pending" && r.state !== "approved" && !r.messageSettled)
      await settleMessage(deps, r);
  }
}

/**
 * A crash between posting a request and storing its message's ts leaves a request with no message
 * to update or to thread under: post it again (the orphan's buttons still work, they carry the id).
 */
async function ensurePosted(deps: ApprovalDeps, request: ApprovalRequest): Promise<void> {
  const current = findRequest(deps.store, request.id) ?? request;
  if (current.messageTs) return;
  try {
    const messageTs = await deps.announcer.postRequest(current);
    await patchRequest(deps.store, current.id, { messageTs });
  } catch (error) {
    deps.logger.warn("Could not re-post an approval request", { requestId: current.id, error });
  }
}

async function settleMessage(deps: ApprovalDeps, request: ApprovalRequest): Promise<void> {
  if (await refreshQuietly(deps, request))
    await patchRequest(deps.store, request.id, { messageSettled: true });
}

async function refreshQuietly(deps: ApprovalDeps, request: ApprovalRequest): Promise<boolean> {
  if (!request.messageTs) return false;
  try {
    await deps.announcer.refreshRequest(request);
    return true;
  } catch (error) {
    deps.logger.warn("Could not update an approval message; will retry", { requestId: request.id, error });
    return false;
  }
}

/** Open requests the person can act on: approve (not their own) or withdraw (their own). */
export async function pendingFor(
  deps: ApprovalDeps,
  actor: Actor,
): Promise<{ request: ApprovalRequest; role: "approver" | "requester" }[]> {
  const now = deps.clock();
  const open = deps.store.data.approvals.filter(
    (r) => r.state === "pending" && r.expiresAt > now && r.requestedBy.teamId === actor.teamId,
  );
  const result: { request: ApprovalRequest; role: "approver" | "requester" }[] = [];
  for (const request of open) {
    if (request.requestedBy.userId === actor.userId) result.push({ request, role: "requester" });
    else if (request.approvals.some((a) => a.userId === actor.userId)) continue;
    else if (
      (await mayApprove(deps.policyFor(request.alias), request, actor.userId, deps.membersOf)).allowed
    ) {
      result.push({ request, role: "approver" });
    }
  }
  return result;
}
