import { type ApprovalDeps, openApprovalRequest } from "../approvals/approval-service.js";
import { authorizeRequest } from "../approvals/authorize-request.js";
import { type GroupLookup, needsApproval, purgeAction } from "../approvals/policy.js";
import { describeAwsError } from "../aws/aws-errors.js";
import type { DistributionInfo } from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { DistributionCheck } from "../distributions/distribution-check.js";
import { NotInChannelError, UserError } from "../errors.js";
import { monthOf } from "../store/calendar-month.js";
import { ConflictError } from "../store/record-store.js";
import type { Actor, ApprovalRequest, Origin, PurgeOperation } from "../store/records.js";
import { plural, quote } from "../text/plain-text.js";
import { auditContext } from "./batch-machine.js";
import { describeCost, estimatePurgeCost } from "./invalidation-cost.js";
import { type PathNote, planPaths } from "./invalidation-paths.js";
import type { PurgeEngine } from "./purge-engine.js";
import { type PurgeLifecycleDeps, publishPurge, updateOperation } from "./purge-lifecycle.js";

export type PurgeServiceDeps = PurgeLifecycleDeps & {
  config: CdnbotConfig;
  newId: () => string;
  membersOf: GroupLookup;
  approvals: ApprovalDeps;
  engine: PurgeEngine;
  distributions: DistributionCheck;
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
export async function readDistribution(deps: PurgeServiceDeps, id: string): Promise<DistributionInfo> {
  try {
    return await deps.cloudfront.getDistribution(id);
  } catch (error) {
    const problem = describeAwsError(error);
    deps.logger.warn("GetDistribution failed", { distributionId: id, code: problem.code });
    throw new UserError(`I could not read distribution ${id}: ${problem.explanation}`);
  }
}

export function describePathNote(note: PathNote): string {
  switch (note.reason) {
    case "url-converted":
      return `${quote(note.input)} was turned into its path ${quote(note.path)}.`;
    case "encoded":
      return `${quote(note.input)} was URL-encoded to ${quote(note.path)}, as CloudFront expects.`;
    case "duplicate-dropped":
      return `${quote(note.input)} was given more than once; it is purged once.`;
    case "covered-by-wildcard":
      return `${quote(note.input)} is already covered by a wildcard in this purge, so it was left out.`;
  }
}

export type PurgeOutcome =
  | { kind: "started"; operation: PurgeOperation }
  | { kind: "awaiting-approval"; request: ApprovalRequest };

/**
 * Validates a purge, checks the policy, and either opens its thread and sends its invalidation or
 * asks for approval. Everything that can be refused is refused before anything reaches AWS.
 */
export async function requestPurge(deps: PurgeServiceDeps, request: PurgeRequest): Promise<PurgeOutcome> {
  const { target, policy } = await authorizeRequest(deps, request, "purge");
  await deps.distributions.ensureUsable(target.alias, target.id);

  const needsHosts = request.paths.some((p) => /^https?:\/\//i.test(p));
  const dist = needsHosts ? await readDistribution(deps, target.id) : undefined;
  const plan = planPaths(request.paths, { domainName: dist?.domainName ?? "", aliases: dist?.aliases ?? [] });
  const notes = plan.notes.map(describePathNote);
  const action = purgeAction(plan.paths);

  const usedThisMonth = await deps.records.pathsBilled(monthOf(deps.clock()));
  const cost = estimatePurgeCost(plan.paths, usedThisMonth);
  const cap = deps.config.purge.monthlyPathCap;
  const overCap = cap !== undefined && usedThisMonth + cost.paths > cap;
  if (overCap) {
    notes.push(
      `This purge takes the month past the configured cap of ${cap.toLocaleString("en-US")} invalidation paths, so it needs approval.`,
    );
  }
  if (cost.billablePaths > 0) notes.push(`Cost: ${describeCost(cost)}`);

  if (overCap || needsApproval(policy, action)) {
    const approval = await openApprovalRequest(deps.approvals, {
      action,
      alias: target.alias,
      distributionId: target.id,
      actor: request.actor,
      channelId: request.channelId,
      payload: { kind: "purge", paths: plan.paths, notes },
      summary: `Purge of ${plural(plan.paths.length, "path")} (${action})`,
      estimatedCost: describeCost(cost),
      ...(request.id ? { id: request.id } : {}),
      ...(request.origin ? { origin: request.origin } : {}),
    });
    return { kind: "awaiting-approval", request: approval };
  }

  const id = request.id ?? deps.newId();
  const op = newPurgeOperation(id, target, plan.paths, notes, request, deps.clock());
  await deps.records.commit({ writes: [{ kind: "purge", op: "create", record: op }] }, deps.clock());
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
  const posted = await updateOperation(
    deps.records,
    id,
    (o) => ({ ...o, messageTs }),
    deps.clock(),
    (o) => [
      {
        ...auditContext(o),
        type: "purge.requested",
        summary: `Purge of ${plural(plan.paths.length, "path")}, no approval needed by policy`,
      },
    ],
  );
  if (!posted) throw new Error(`purge ${id} vanished before its thread was recorded`);
  await publishPurge(deps, posted, "requested", `purge of ${plural(plan.paths.length, "path")} requested`);
  await deps.engine.enqueue(posted);
  return { kind: "started", operation: posted };
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
    newPurgeOperation(
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
    );
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
