import { randomInt } from "node:crypto";
import { z } from "zod";
import type { PolicyAction } from "../config/policy-schema.js";
import { NotInChannelError, UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import { sameWorkspace } from "../store/actors.js";
import type { RecordStore, RecordWrite } from "../store/record-store.js";
import type { Actor, ApprovalPayload, ApprovalRequest, Origin } from "../store/records.js";
import { retryOnConflict } from "../store/retry-on-conflict.js";
import type { ActivityFeed } from "../watch/activity-feed.js";
import type { ApprovalAnnouncer } from "./approval-announcer.js";
import { type ApprovalEvent, type ApprovalRefusal, dueEvent, transition } from "./approval-machine.js";
import { type EffectivePolicy, type GroupLookup, mayApprove } from "./policy.js";

export const requestIdSchema = z.string().regex(/^R[0-9A-Z]{6}$/, "not a request id");

export type ApprovalDeps = {
  records: RecordStore;
  clock: () => number;
  logger: Logger;
  announcer: ApprovalAnnouncer;
  membersOf: GroupLookup;
  /** The policy of a distribution, or of one of its tenants. */
  policyFor: (alias: string, tenant?: string) => EffectivePolicy;
  /**
   * The "approved" event: hands an approved request's action to its workflow (a purge or a change),
   * which takes the request's id, so handing it over twice finds the first run.
   */
  onApproved: (request: ApprovalRequest) => Promise<void>;
  /**
   * Whether the workflow has the approved request's action (its purge, change or environment):
   * the run is claimed before it is handed over, so a crash in between leaves a claimed request
   * whose action was never made, which the sweep hands over again (each hand-over is idempotent).
   */
  handedOver?: (request: ApprovalRequest) => Promise<boolean>;
  /** When this process started: requests older than that without a message lost it in a crash. */
  startedAt?: number;
  /**
   * With replicas, `startedAt` proves nothing (the poster may be another replica, alive or dead): a
   * request this old without its message is posted again instead.
   */
  repostAfterMs?: number;
  /** Watched channels hear about every request that waits for approval. */
  activity?: ActivityFeed;
};

const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

export function newRequestId(): string {
  return `R${Array.from({ length: 6 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("")}`;
}

type Applied =
  | { ok: true; request: ApprovalRequest }
  | { ok: false; refusal: ApprovalRefusal; request: ApprovalRequest | undefined };

/** The thread's note of a decision; a note that cannot be posted is logged (the message names them all). */
async function noteDecision(
  deps: ApprovalDeps,
  request: ApprovalRequest,
  event: Extract<ApprovalEvent, { type: "approve" | "reject" }>,
): Promise<void> {
  const at =
    event.type === "approve"
      ? (request.approvals.find((a) => a.userId === event.actor.userId)?.at ?? deps.clock())
      : (request.decidedBy?.at ?? deps.clock());
  try {
    await deps.announcer.noteDecision(request, {
      userId: event.actor.userId,
      verdict: event.type,
      at,
      ...(event.type === "reject" && event.reason ? { reason: event.reason } : {}),
    });
  } catch (error) {
    deps.logger.warn("A decision could not be told in the request's thread", {
      requestId: request.id,
      error,
    });
  }
}

/**
 * Reads the request, runs the event through the state machine, stores the result on the condition
 * that nobody moved the request meanwhile (reading again if someone did), then carries out the
 * effects. The only place approval state changes.
 */
async function apply(deps: ApprovalDeps, id: string, event: ApprovalEvent): Promise<Applied> {
  const outcome = await retryOnConflict(async () => {
    const current = await deps.records.get("approval", id);
    if (!current) return undefined;
    const step = transition(current, event, deps.clock());
    if (!step.ok) return { ok: false as const, refusal: step.refusal, request: current };
    await deps.records.commit(
      {
        writes: [{ kind: "approval", op: "replace", record: step.request, expectedVersion: current.version }],
        audit: step.audit,
      },
      deps.clock(),
    );
    return {
      ok: true as const,
      request: { ...step.request, version: current.version + 1 },
      effects: step.effects,
    };
  });
  if (!outcome) throw new Error(`approval request ${id} is not in the store`);
  if (!outcome.ok) return outcome;
  // Who decided, in the thread, before what the decision starts posts its own replies there.
  if (event.type === "approve" || event.type === "reject") await noteDecision(deps, outcome.request, event);
  for (const effect of outcome.effects) {
    if (effect.type === "refresh-message") await refreshQuietly(deps, outcome.request);
    else if (effect.type === "settle-message") await settleMessage(deps, outcome.request);
    else await deps.onApproved(outcome.request);
  }
  return { ok: true, request: outcome.request };
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
  /** The id to give it (an API request's, derived from its Idempotency-Key); otherwise a new one. */
  id?: string;
  origin?: Origin;
  /** Writes that land in the same commit as the request (the received purge it takes the place of). */
  replacing?: RecordWrite[];
  /** A request for one tenant: it follows the tenant's policy, and its action is the tenant's. */
  tenant?: { name: string; id?: string };
};

function auditContext(payload: ApprovalPayload): { details?: Record<string, unknown> } {
  if (payload.kind !== "change" || (!payload.iac && !payload.reason)) return {};
  return {
    details: {
      ...(payload.iac ? { iac: payload.iac } : {}),
      ...(payload.reason ? { reason: payload.reason } : {}),
    },
  };
}

/** Records the request, then posts it with its buttons. No thread, no request. */
export async function openApprovalRequest(deps: ApprovalDeps, input: NewApproval): Promise<ApprovalRequest> {
  const policy = deps.policyFor(input.alias, input.tenant?.name);
  const now = deps.clock();
  const request: ApprovalRequest = {
    version: 0,
    id: input.id ?? newRequestId(),
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
    ...(input.origin ? { origin: input.origin } : {}),
    ...(input.tenant ? { tenant: input.tenant } : {}),
  };
  await deps.records.commit(
    {
      writes: [{ kind: "approval", op: "create", record: request }, ...(input.replacing ?? [])],
      audit: [
        {
          type: "approval.requested",
          actor: input.actor,
          channelId: input.channelId,
          alias: input.alias,
          distributionId: input.distributionId,
          requestId: request.id,
          summary: input.summary,
          // Infrastructure as code owned it when it was asked; the requester's reason.
          ...auditContext(input.payload),
        },
      ],
    },
    now,
  );
  let messageTs: string;
  try {
    messageTs = await deps.announcer.postRequest(request);
  } catch (error) {
    // No message, no request: nobody could approve it.
    await deps.records.commit(
      {
        writes: [{ kind: "approval", op: "delete", id: request.id, expectedVersion: request.version }],
        audit: [
          {
            type: "approval.withdrawn",
            actor: input.actor,
            channelId: input.channelId,
            distributionId: input.distributionId,
            requestId: request.id,
            summary: "The request could not be posted in the channel",
            outcome: "error",
          },
        ],
      },
      deps.clock(),
    );
    throw error instanceof NotInChannelError
      ? error.because("No request was opened and nothing was sent to AWS.")
      : error;
  }
  const posted = await apply(deps, request.id, { type: "posted", messageTs });
  if (!posted.ok) throw new Error(`approval request ${request.id} could not record its message`);
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
  return posted.request;
}

export type Verdict = "approve" | "reject";

export type DecisionInput = {
  requestId: string;
  actor: Actor;
  channelId?: string;
  verdict: Verdict;
  reason?: string;
  /** Approved in the step-up window, which showed the preview (where the policy wants one). */
  confirmed?: boolean;
};

/**
 * An approval its policy wants confirmed in a window showing the preview (`stepUp`), asked without
 * that window: the request, for the window to show. Nothing was recorded.
 */
export class ConfirmationNeeded extends UserError {
  constructor(readonly request: ApprovalRequest) {
    super(
      `Request ${request.id} is approved in its confirmation window, which shows exactly what will be written: click Approve on the request to open it. Nothing was changed.`,
    );
  }
}

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

/** A refusal from the state machine, in the words the person who clicked or typed reads. */
function describeRefusal(request: ApprovalRequest, refusal: ApprovalRefusal): string {
  switch (refusal.code) {
    case "not-pending":
    case "already-run":
      return describeDecided(request);
    case "expired":
      return `Request ${request.id} has expired; ask again if it is still needed.`;
    case "already-approved-by-you":
      return `You already approved request ${request.id}; it needs ${refusal.remaining} more.`;
    case "own-request-reject":
      return `This is your own request: \`/cdn cancel ${request.id}\` withdraws it. Nothing was changed.`;
    case "not-requester":
      return `Only the person who asked for ${request.id} can withdraw it.`;
  }
}

/**
 * One person's approval or rejection, from a button or `/cdn reject`. Who may decide is checked here
 * (policy, groups); what a decision does to the request is the state machine's.
 */
export async function decide(deps: ApprovalDeps, input: DecisionInput): Promise<string> {
  return (await recordDecision(deps, input)).carryOut();
}

/** A decision stored: its words, and what is left to do (hand an approved request over). */
export type RecordedDecision = { carryOut: () => Promise<string> };

/**
 * The part of a decision that must be durable before the click is answered: checks and the vote's
 * conditional commit. What an approval then starts is carried out by `carryOut`, or, if the bot
 * stops first, by the sweep, which hands over every approved request not yet run.
 */
export async function recordDecision(deps: ApprovalDeps, input: DecisionInput): Promise<RecordedDecision> {
  const said = (message: string) => ({ carryOut: async () => message });
  const seen = await deps.records.get("approval", input.requestId);
  if (!seen) throw new UserError(`There is no approval request ${input.requestId}. Nothing was changed.`);
  if (!sameWorkspace(seen.requestedBy, input.actor)) {
    throw new UserError("This request belongs to another workspace. Nothing was changed.");
  }
  if (seen.state !== "pending") throw new UserError(describeDecided(seen));
  if (deps.clock() >= seen.expiresAt) {
    await apply(deps, seen.id, { type: "expire" });
    throw new UserError(`Request ${seen.id} has expired; ask again if it is still needed.`);
  }
  if (input.verdict === "reject" && seen.requestedBy.userId === input.actor.userId) {
    throw new UserError(describeRefusal(seen, { code: "own-request-reject" }));
  }
  if (input.verdict === "approve" && !input.confirmed && deps.policyFor(seen.alias, seen.tenant?.name).stepUp)
    throw new ConfirmationNeeded(seen);
  const allowed = await mayApprove(
    deps.policyFor(seen.alias, seen.tenant?.name),
    seen,
    input.actor.userId,
    deps.membersOf,
  );
  if (!allowed.allowed) throw new UserError(allowed.reason);

  const event: ApprovalEvent =
    input.verdict === "reject"
      ? {
          type: "reject",
          actor: input.actor,
          ...(input.channelId ? { channelId: input.channelId } : {}),
          ...(input.reason ? { reason: input.reason } : {}),
        }
      : { type: "approve", actor: input.actor, ...(input.channelId ? { channelId: input.channelId } : {}) };
  const done = await apply(deps, seen.id, event);
  if (!done.ok) {
    if (done.refusal.code === "already-approved-by-you") return said(describeRefusal(seen, done.refusal));
    throw new UserError(describeRefusal(done.request ?? seen, done.refusal));
  }
  const request = done.request;
  if (request.state === "rejected") return said(`You rejected request ${request.id}. Nothing will be done.`);
  if (request.state === "approved") {
    return {
      carryOut: async () => {
        await runApproved(deps, request);
        return `You approved request ${request.id}; I am carrying it out, and its thread says how it goes.`;
      },
    };
  }
  return said(
    `Your approval of ${request.id} is recorded; it needs ${request.approvalsRequired - request.approvals.length} more.`,
  );
}

/** Hands an approved request to its workflow once; a restart finds any that were not handed over. */
export async function runApproved(deps: ApprovalDeps, request: ApprovalRequest): Promise<void> {
  await ensurePosted(deps, request);
  // The claim is stored before the hand-over: the run happens at most once, whoever claims first.
  await apply(deps, request.id, { type: "claim-run" });
}

export async function cancelRequest(deps: ApprovalDeps, requestId: string, actor: Actor): Promise<string> {
  const seen = await deps.records.get("approval", requestId);
  if (!seen || !sameWorkspace(seen.requestedBy, actor))
    throw new UserError(`There is no approval request ${requestId}.`);
  const done = await apply(deps, requestId, { type: "cancel", actor });
  if (!done.ok) throw new UserError(describeRefusal(done.request ?? seen, done.refusal));
  return `Request ${requestId} is withdrawn.`;
}

/**
 * The periodic sweep: expires what is due, redraws messages that still show buttons for a decided
 * request, and runs approved requests a crash left behind. Works from the store alone.
 */
export async function sweepApprovals(deps: ApprovalDeps): Promise<void> {
  const now = deps.clock();
  for (const r of await deps.records.list("approval")) {
    const orphaned =
      deps.repostAfterMs === undefined
        ? r.createdAt < (deps.startedAt ?? 0)
        : now - r.createdAt >= deps.repostAfterMs;
    if (r.state === "pending" && !r.messageTs && orphaned) await ensurePosted(deps, r);
    const due = dueEvent(r, now);
    if (due?.type === "claim-run") await runApproved(deps, r);
    else if (await claimedButNotHandedOver(deps, r, now)) await deps.onApproved(r);
    else if (due) await apply(deps, r.id, due);
    else if (r.state !== "pending" && r.state !== "approved" && !r.messageSettled)
      await settleMessage(deps, r);
  }
}

/** How long after its claim an approved request's hand-over may still be under way in its process. */
const HANDOVER_GRACE_MS = 10_000;

async function claimedButNotHandedOver(
  deps: ApprovalDeps,
  r: ApprovalRequest,
  now: number,
): Promise<boolean> {
  if (r.state !== "approved" || r.executedAt === undefined || !deps.handedOver) return false;
  if (now - r.executedAt < HANDOVER_GRACE_MS) return false;
  return !(await deps.handedOver(r));
}

/**
 * A crash between posting a request and storing its message's ts leaves a request with no message
 * to update or to thread under: post it again (the orphan's buttons still work, they carry the id).
 */
async function ensurePosted(deps: ApprovalDeps, request: ApprovalRequest): Promise<void> {
  const current = (await deps.records.get("approval", request.id)) ?? request;
  if (current.messageTs) return;
  try {
    // The first post may have reached Slack before its poster stopped: found, it is not posted twice.
    const messageTs =
      (await deps.announcer.findRequest(current)) ?? (await deps.announcer.postRequest(current));
    await apply(deps, current.id, { type: "posted", messageTs });
  } catch (error) {
    deps.logger.warn("Could not re-post an approval request", { requestId: current.id, error });
  }
}

async function settleMessage(deps: ApprovalDeps, request: ApprovalRequest): Promise<void> {
  if (await refreshQuietly(deps, request)) await apply(deps, request.id, { type: "message-settled" });
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
  const open = (await deps.records.list("approval")).filter(
    (r) => r.state === "pending" && r.expiresAt > now && sameWorkspace(r.requestedBy, actor),
  );
  const result: { request: ApprovalRequest; role: "approver" | "requester" }[] = [];
  for (const request of open) {
    if (request.requestedBy.userId === actor.userId) result.push({ request, role: "requester" });
    else if (request.approvals.some((a) => a.userId === actor.userId)) continue;
    else if (
      (
        await mayApprove(
          deps.policyFor(request.alias, request.tenant?.name),
          request,
          actor.userId,
          deps.membersOf,
        )
      ).allowed
    ) {
      result.push({ request, role: "approver" });
    }
  }
  return result;
}
