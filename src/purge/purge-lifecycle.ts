import { recordAudit } from "../audit/audit-log.js";
import { type AwsProblem, describeAwsError } from "../aws/aws-errors.js";
import type { CloudFrontGateway, InvalidationInfo } from "../aws/cloudfront-gateway.js";
import type { Logger } from "../logger.js";
import type { PurgeOperation } from "../store/records.js";
import type { StateStore } from "../store/state-store.js";
import type { PurgeAnnouncer } from "./purge-announcer.js";

export type PurgeLifecycleDeps = {
  store: StateStore;
  cloudfront: CloudFrontGateway;
  announcer: PurgeAnnouncer;
  clock: () => number;
  logger: Logger;
};

export function findOperation(store: StateStore, id: string): PurgeOperation | undefined {
  return store.data.operations.find((op) => op.id === id);
}

export async function updateOperation(
  store: StateStore,
  id: string,
  patch: Partial<PurgeOperation>,
): Promise<PurgeOperation> {
  return store.update((data) => {
    const op = data.operations.find((o) => o.id === id);
    if (!op) throw new Error(`operation ${id} is not in the store`);
    Object.assign(op, patch);
    return { ...op };
  });
}

/**
 * Sends the operation's invalidation. Safe to call again after a crash: the CallerReference is the
 * operation's own, so CloudFront returns the invalidation it already made instead of a second one.
 */
export async function sendInvalidation(
  deps: PurgeLifecycleDeps,
  op: PurgeOperation,
): Promise<PurgeOperation> {
  let current = await updateOperation(deps.store, op.id, { state: "creating" });
  let invalidation: InvalidationInfo;
  try {
    invalidation = await deps.cloudfront.createInvalidation(op.distributionId, op.paths, op.callerReference);
  } catch (error) {
    const problem = describeAwsError(error);
    deps.logger.warn("CreateInvalidation failed", {
      operation: op.id,
      code: problem.code,
      requestId: problem.requestId,
    });
    await recordAudit(deps.store, deps.clock(), {
      ...auditContext(op),
      type: "aws.CreateInvalidation",
      summary: `CreateInvalidation of ${op.paths.length} paths failed: ${problem.code}`,
      outcome: "error",
      ...(problem.requestId ? { awsRequestId: problem.requestId } : {}),
    });
    if (problem.retryable) return waitToRetry(deps, current, problem);
    return failOperation(deps, current, problem.explanation);
  }
  await recordAudit(deps.store, deps.clock(), {
    ...auditContext(op),
    type: "aws.CreateInvalidation",
    summary: `Invalidation ${invalidation.id} of ${op.paths.length} paths`,
    outcome: "ok",
    ...(invalidation.requestId ? { awsRequestId: invalidation.requestId } : {}),
    details: { invalidationId: invalidation.id, paths: op.paths.slice(0, 50) },
  });
  current = await updateOperation(deps.store, op.id, {
    state: "in-progress",
    invalidationId: invalidation.id,
    createdAt: current.createdAt ?? deps.clock(),
  });
  await announceCreated(deps, current);
  if (invalidation.status === "Completed") current = await completeOperation(deps, current);
  return current;
}

async function waitToRetry(deps: PurgeLifecycleDeps, op: PurgeOperation, problem: AwsProblem) {
  const note = `${problem.explanation} I will try again.`;
  const first = !op.notes.includes(note);
  const current = await updateOperation(deps.store, op.id, {
    state: "requested",
    notes: first ? [...op.notes, note] : op.notes,
  });
  if (first) await tryAnnounce(deps, op, () => deps.announcer.replyNote(current, note));
  return current;
}

/** Who asked and where, for every audit entry about this purge. */
export function auditContext(op: PurgeOperation) {
  return {
    actor: op.requestedBy,
    channelId: op.channelId,
    alias: op.alias,
    distributionId: op.distributionId,
    operationId: op.id,
  };
}

export async function failOperation(
  deps: PurgeLifecycleDeps,
  op: PurgeOperation,
  explanation: string,
): Promise<PurgeOperation> {
  const current = await updateOperation(deps.store, op.id, {
    state: "failed",
    error: explanation,
    finishedAt: deps.clock(),
  });
  await recordAudit(deps.store, deps.clock(), {
    ...auditContext(op),
    type: "purge.failed",
    summary: explanation,
    outcome: "error",
  });
  await announceFinal(deps, current);
  return current;
}

export async function completeOperation(
  deps: PurgeLifecycleDeps,
  op: PurgeOperation,
): Promise<PurgeOperation> {
  const current = await updateOperation(deps.store, op.id, { state: "completed", finishedAt: deps.clock() });
  await recordAudit(deps.store, deps.clock(), {
    ...auditContext(op),
    type: "purge.completed",
    summary: `Invalidation ${op.invalidationId ?? "?"} Completed`,
    outcome: "ok",
  });
  await announceFinal(deps, current);
  return current;
}

/**
 * Says in the thread that the invalidation exists, at most once: the flag is stored before posting,
 * so a crash mid-post can cost this progress note but never repeat it. The final reply, which the
 * thread must not miss, is the one posted at least once.
 */
export async function announceCreated(deps: PurgeLifecycleDeps, op: PurgeOperation): Promise<void> {
  if (op.announced.created || !op.messageTs) return;
  await updateOperation(deps.store, op.id, { announced: { ...op.announced, created: true } });
  const ok = await tryAnnounce(deps, op, () => deps.announcer.replyCreated(op));
  if (!ok) {
    const latest = findOperation(deps.store, op.id) ?? op;
    await updateOperation(deps.store, op.id, { announced: { ...latest.announced, created: false } });
  }
  await tryAnnounce(deps, op, () => deps.announcer.refreshParent(op));
}

/** Replies with the outcome once; a Slack failure leaves it for the next tick to try again. */
export async function announceFinal(deps: PurgeLifecycleDeps, op: PurgeOperation): Promise<void> {
  const fresh = findOperation(deps.store, op.id) ?? op;
  if (fresh.announced.final || !fresh.messageTs) return;
  if (!fresh.announced.created && fresh.invalidationId) await announceCreated(deps, fresh);
  const ok = await tryAnnounce(deps, fresh, () => deps.announcer.replyFinal(fresh));
  if (ok) {
    const latest = findOperation(deps.store, op.id) ?? fresh;
    await updateOperation(deps.store, op.id, { announced: { ...latest.announced, final: true } });
  }
  // The parent's status line is a convenience; the thread reply above is the record.
  await tryAnnounce(deps, fresh, () => deps.announcer.refreshParent(fresh));
}

async function tryAnnounce(deps: PurgeLifecycleDeps, op: PurgeOperation, say: () => Promise<void>) {
  try {
    await say();
    return true;
  } catch (error) {
    deps.logger.warn("Could not post to Slack; will retry", { operation: op.id, error });
    return false;
  }
}
