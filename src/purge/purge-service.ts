import pLimit from "p-limit";
import { type ApprovalDeps, newRequestId, openApprovalRequest } from "../approvals/approval-service.js";
import { type GroupLookup, needsApproval } from "../approvals/policy.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import type { DistributionCheck } from "../distributions/distribution-check.js";
import { NotInChannelError, UserError } from "../errors.js";
import { clientBillingKey, monthOf } from "../store/calendar-month.js";
import { ConflictError } from "../store/record-store.js";
import type { Actor, ApprovalRequest, Origin, PurgeOperation, PurgePreview } from "../store/records.js";
import { formatCount, plural } from "../text/plain-text.js";
import type { Exclusive } from "../tracking/exclusive.js";
import { auditContext } from "./batch-machine.js";
import { describeCost, estimatePurgeCost } from "./invalidation-cost.js";
import { countBilledPaths } from "./invalidation-paths.js";
import type { PurgeEngine } from "./purge-engine.js";
import {
  holding,
  isLeftBehind,
  type PurgeLifecycleDeps,
  publishPurge,
  updateOperation,
} from "./purge-lifecycle.js";
import { planReceived } from "./purge-planning.js";
import { inFlight, previewPurge } from "./purge-preview.js";

export type PurgeServiceDeps = PurgeLifecycleDeps & {
  config: CdnbotConfig;
  directory: DistributionDirectory;
  membersOf: GroupLookup;
  approvals: ApprovalDeps;
  engine: PurgeEngine;
  distributions: DistributionCheck;
  /** Decides against the monthly cap one request at a time, in this process and across replicas. */
  exclusive: Exclusive;
};

export type PurgeRequest = {
  distribution: string;
  paths: string[];
  actor: Actor;
  channelId: string;
  /** The operation's id (an API request's, from its Idempotency-Key); otherwise a new one. */
  id?: string;
  origin?: Origin;
};

/** Reads the distribution, turning AWS failures into words for the requester. */
export type PurgeOutcome =
  | { kind: "started"; operation: PurgeOperation }
  | { kind: "awaiting-approval"; request: ApprovalRequest };

/**
 * Stores a purge as received, before the requester is told anything: from here on it is carried
 * out or refused in words, across a crash too (`resumeReceivedPurges`). Only what needs nothing but
 * the config is checked first (the distribution's name), so this fits inside Slack's ack.
 */
export async function receivePurge(deps: PurgeServiceDeps, request: PurgeRequest): Promise<PurgeOperation> {
  const { distribution: target, tenant } = deps.directory.resolveTarget(request.distribution);
  const op: PurgeOperation = {
    // A request id (R and six characters): if the policy asks for approval, the request takes it.
    ...newPurgeOperation(request.id ?? newRequestId(), target, request.paths, [], request, deps.clock()),
    ...(tenant ? { tenant: { name: tenant } } : {}),
    state: "received",
  };
  await deps.records.commit({ writes: [{ kind: "purge", op: "create", record: op }] }, deps.clock());
  return op;
}

/** Receives a purge and carries it out at once (what the API and agents do: the answer waits). */
export async function requestPurge(deps: PurgeServiceDeps, request: PurgeRequest): Promise<PurgeOutcome> {
  return processPurge(deps, await receivePurge(deps, request));
}

/**
 * Validates a received purge, checks the policy, and either opens its thread and sends its
 * invalidation or asks for approval. Everything that can be refused is refused before anything
 * reaches AWS; a refusal withdraws the received purge, so it changes nothing.
 */
export async function processPurge(deps: PurgeServiceDeps, received: PurgeOperation): Promise<PurgeOutcome> {
  return holding(received.id, () => processHeld(deps, received));
}

async function processHeld(deps: PurgeServiceDeps, received: PurgeOperation): Promise<PurgeOutcome> {
  const request = {
    distribution: received.alias,
    paths: received.paths,
    actor: received.requestedBy,
    channelId: received.channelId,
    id: received.id,
    ...(received.origin ? { origin: received.origin } : {}),
  };
  const withdraw = {
    kind: "purge",
    op: "delete",
    id: received.id,
    expectedVersion: received.version,
  } as const;
  let planned: Awaited<ReturnType<typeof planReceived>>;
  try {
    planned = await planReceived(deps, request, received.tenant);
  } catch (error) {
    await deps.records.commit({ writes: [withdraw] }, deps.clock());
    throw error;
  }
  const decided = await decideOnPolicyAndCaps(deps, received, request, planned, withdraw);
  if (decided.kind === "awaiting-approval") return decided;
  return startPurge(deps, decided.op, planned.plan.paths.length);
}

type Withdrawal = { kind: "purge"; op: "delete"; id: string; expectedVersion: number };

/**
 * Whether a received purge goes ahead or waits for approval: the policy, the monthly path cap and an
 * API client's own cap (counting every accepted path, under one lock so the next request counts this
 * one), and its cost. Either outcome replaces the received purge in one commit.
 */
async function decideOnPolicyAndCaps(
  deps: PurgeServiceDeps,
  received: PurgeOperation,
  request: PurgeRequest & { id: string },
  planned: Awaited<ReturnType<typeof planReceived>>,
  withdraw: Withdrawal,
) {
  const { target, plan, notes, action, actions, policy } = planned;
  // An API client's purges count against its own monthly cap too (the free tier by default).
  const client = received.origin?.client;
  const clientCap = client ? deps.config.api?.clients[client]?.monthlyPathCap : undefined;
  const cap = deps.config.purge.monthlyPathCap;
  const capped = cap !== undefined || clientCap !== undefined;
  // What CloudFront is working on now, read before the lock: it informs the preview, decides nothing.
  const running = inFlight(await deps.records.list("batch"), target.id);
  const decide = async () => {
    // Against a cap, every accepted path counts; without one, the cost estimate reads what was
    // billed (listing every live purge per request would cost a burst O(n²) copies).
    const month = monthOf(deps.clock());
    const accepted =
      cap !== undefined ? await pathsAccepted(deps, month) : await deps.records.pathsBilled(month);
    const cost = estimatePurgeCost(plan.paths, accepted);
    const overCap = cap !== undefined && accepted + cost.paths > cap;
    if (overCap) {
      notes.push(
        `This purge takes the month past the configured cap of ${formatCount(cap)} invalidation paths, so it needs approval.`,
      );
    }
    const overClientCap =
      client !== undefined &&
      clientCap !== undefined &&
      (await pathsAccepted(deps, month, client)) + cost.paths > clientCap;
    if (overClientCap) {
      notes.push(
        `This purge takes ${client} past its monthly cap of ${formatCount(clientCap)} invalidation paths (api.clients.${client}.monthlyPathCap), so it needs approval.`,
      );
    }
    if (cost.billablePaths > 0) notes.push(`Cost: ${describeCost(cost)}`);
    const preview = previewPurge(plan, cost, running);

    if (overCap || overClientCap || actions.some((a) => needsApproval(policy, a))) {
      // The request takes the received purge's place in one commit: it is one or the other.
      const approval = await openApprovalRequest(deps.approvals, {
        action,
        alias: target.alias,
        distributionId: target.id,
        actor: request.actor,
        channelId: request.channelId,
        payload: { kind: "purge", paths: plan.paths, notes, preview },
        summary: `Purge of ${plural(plan.paths.length, "path")} (${action})`,
        estimatedCost: describeCost(cost),
        id: request.id,
        ...(request.origin ? { origin: request.origin } : {}),
        ...(planned.tenant ? { tenant: planned.tenant } : {}),
        replacing: [withdraw],
      });
      return { kind: "awaiting-approval", request: approval } as const;
    }
    // "A post of its parent is under way" is stored with the decision: a crash after the post finds it.
    const op: PurgeOperation = {
      ...received,
      state: "requested",
      paths: plan.paths,
      notes,
      preview,
      ...(planned.tenant ? { tenant: planned.tenant } : {}),
      posting: { parent: deps.clock() },
    };
    // Stored inside the lock: the next request's count of accepted paths includes this one.
    await deps.records.commit(
      { writes: [{ kind: "purge", op: "replace", record: op, expectedVersion: received.version }] },
      deps.clock(),
    );
    return { kind: "stored", op: { ...op, version: received.version + 1 } } as const;
  };
  return capped ? deps.exclusive("purge-cap", decide) : decide();
}

/** Opens the purge's thread and queues it; a failure after the thread is open is the send job's to finish. */
async function startPurge(
  deps: PurgeServiceDeps,
  op: PurgeOperation,
  pathCount: number,
): Promise<PurgeOutcome> {
  const id = op.id;
  let messageTs: string;
  try {
    messageTs = await deps.announcer.postParent(op);
  } catch (error) {
    // No thread, no purge: withdraw the intent so nothing reaches AWS.
    await deps.records.commit(
      { writes: [{ kind: "purge", op: "delete", id, expectedVersion: op.version }] },
      deps.clock(),
    );
    throw error instanceof NotInChannelError ? error.because("Nothing was sent to AWS.") : error;
  }
  // From here on the purge is stored and its thread open: whatever fails now is finished by the
  // send job's recovery pass, so the requester is told "yes" (never an error for work that will run).
  try {
    const posted = await updateOperation(
      deps.records,
      id,
      (o) => ({ ...o, messageTs }),
      deps.clock(),
      (o) => [
        {
          ...auditContext(o),
          type: "purge.requested",
          summary: `Purge of ${plural(pathCount, "path")}, no approval needed by policy`,
        },
      ],
    );
    if (!posted) throw new Error(`purge ${id} vanished before its thread was recorded`);
    await publishPurge(deps, posted, "requested", `purge of ${plural(pathCount, "path")} requested`);
    await deps.engine.enqueue(posted);
    return { kind: "started", operation: posted };
  } catch (error) {
    deps.logger.error("A stored purge could not be queued at once; the send job will", {
      operation: id,
      error,
    });
    return { kind: "started", operation: { ...op, messageTs } };
  }
}

/**
 * Carries out every purge that was received (its requester told "yes") but never processed: the
 * bot stopped between the ack and the work. A refusal is told to the requester, who can no longer
 * be answered in place, as a message only they see.
 */
export async function resumeReceivedPurges(deps: PurgeServiceDeps, startedAt: number): Promise<void> {
  const now = deps.clock();
  const left = (await deps.records.list("purge")).filter(
    (op) => op.state === "received" && isLeftBehind(op, startedAt, now),
  );
  // Several at once, as when they were received: a burst a stopped replica left behind then meets
  // in one coalescing window again, rather than trickling out one invalidation at a time.
  const resuming = pLimit(RESUME_AT_ONCE);
  await Promise.all(left.map((op) => resuming(() => resumeOne(deps, op))));
}

/** As many as the live path carries out at once (`run-cdn-command.ts`). */
const RESUME_AT_ONCE = 8;

async function resumeOne(deps: PurgeServiceDeps, op: PurgeOperation): Promise<void> {
  try {
    await processPurge(deps, op);
  } catch (error) {
    if (error instanceof ConflictError) return; // another replica took it: theirs to finish
    if (!(error instanceof UserError)) {
      deps.logger.warn("Could not carry out a received purge; will retry", { operation: op.id, error });
      return;
    }
    try {
      await deps.announcer.tellRequester(op, error.message);
    } catch (told) {
      deps.logger.warn("Could not tell a requester their purge was refused", {
        operation: op.id,
        error: told,
      });
    }
  }
}

/**
 * Paths this month counts against its cap (the month's, or with `client` that API client's own):
 * those billed, and those accepted and not yet sent (purges waiting for their batch, purges waiting
 * for approval). Counted when asked, so a burst inside one coalescing window cannot slip past the
 * cap before anything is billed.
 */
async function pathsAccepted(deps: PurgeServiceDeps, month: string, client?: string): Promise<number> {
  // Three reads are no snapshot: a batch sent between them moves paths from waiting to billed, and
  // they are counted twice or not at all (an 11th path got in under a cap of 10). Read in the order
  // paths move through, twice: the same three figures both times mean nothing moved meanwhile.
  let last: string | undefined;
  for (let pass = 0; ; pass++) {
    const figures = await acceptedFigures(deps, month, client);
    const key = figures.join(",");
    if (key === last || pass >= 5) return figures[0] + figures[1] + figures[2];
    last = key;
  }
}

async function acceptedFigures(
  deps: PurgeServiceDeps,
  month: string,
  client: string | undefined,
): Promise<[number, number, number]> {
  const counts = (origin: Origin | undefined) => client === undefined || origin?.client === client;
  const asked = (await deps.records.list("approval"))
    .filter(
      (r) =>
        r.state === "pending" &&
        counts(r.origin) &&
        r.payload.kind === "purge" &&
        monthOf(r.createdAt) === month,
    )
    .reduce((sum, r) => sum + (r.payload.kind === "purge" ? countBilledPaths(r.payload.paths) : 0), 0);
  const waiting = (await deps.records.list("purge"))
    .filter((op) => op.state === "requested" && counts(op.origin) && monthOf(op.requestedAt) === month)
    .reduce((sum, op) => sum + countBilledPaths(op.paths), 0);
  const billed = await deps.records.pathsBilled(
    client === undefined ? month : clientBillingKey(month, client),
  );
  return [asked, waiting, billed];
}

function newPurgeOperation(
  id: string,
  target: { alias: string; id: string },
  paths: string[],
  notes: string[],
  request: { actor: PurgeRequest["actor"]; channelId: string; origin?: Origin },
  now: number,
  messageTs?: string,
): PurgeOperation {
  return {
    version: 0,
    id,
    kind: "purge",
    alias: target.alias,
    distributionId: target.id,
    paths,
    requestedBy: request.actor,
    channelId: request.channelId,
    state: "requested",
    requestedAt: now,
    notes,
    told: [],
    announced: { created: false, final: false },
    ...(messageTs ? { messageTs } : {}),
    ...(request.origin ? { origin: request.origin } : {}),
  };
}

/**
 * Runs an approved purge in the request's own message, which becomes its progress thread. The
 * operation takes the request's id, so running it twice finds the first instead of a second one.
 */
export async function startApprovedPurge(
  deps: PurgeLifecycleDeps & { engine: PurgeEngine },
  request: ApprovalRequest,
): Promise<void> {
  const payload = request.payload;
  if (payload.kind !== "purge") throw new Error(`request ${request.id} is not a purge`);
  const existing = await deps.records.get("purge", request.id);
  // Already started (an approval handed over twice), or finished and archived: never purge twice.
  const op =
    existing ??
    withPreview(payload.preview, {
      ...newPurgeOperation(
        request.id,
        { alias: request.alias, id: request.distributionId },
        payload.paths,
        payload.notes,
        {
          actor: request.requestedBy,
          channelId: request.channelId,
          ...(request.origin ? { origin: request.origin } : {}),
        },
        deps.clock(),
        // runApproved made sure the request has a message: it becomes the purge's thread.
        (await deps.records.get("approval", request.id))?.messageTs ?? request.messageTs,
      ),
      // A tenant's purge stays the tenant's: its invalidation goes to the tenant's own API.
      ...(request.tenant ? { tenant: request.tenant } : {}),
      ...(request.approvals.length > 0 ? { approvedBy: request.approvals } : {}),
    });
  if (!existing) {
    try {
      await deps.records.commit({ writes: [{ kind: "purge", op: "create", record: op }] }, deps.clock());
    } catch (error) {
      // Another hand-over created it first: that one runs.
      if (error instanceof ConflictError) return;
      throw error;
    }
  }
  if (op.state === "requested") {
    await publishPurge(
      deps,
      op,
      "approved",
      `purge of ${plural(op.paths.length, "path")} approved (${request.id})`,
    );
    await deps.engine.enqueue(op);
  }
}

/** An approved purge keeps the preview its approvers saw. */
function withPreview(preview: PurgePreview | undefined, op: PurgeOperation): PurgeOperation {
  return preview ? { ...op, preview } : op;
}
