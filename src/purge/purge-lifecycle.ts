import type { InvalidationGateway } from "../aws/cloudfront-gateway.js";
import type { Logger } from "../logger.js";
import { recordAudit } from "../store/audit-outbox.js";
import type { PurgeOperation } from "../store/records.js";
import type { StateStore } from "../store/state-store.js";
import { plural } from "../text/plain-text.js";
import type { ActivityFeed } from "../watch/activity-feed.js";
import type { PurgeAnnouncer } from "./purge-announcer.js";

export type PurgeLifecycleDeps = {
  store: StateStore;
  cloudfront: InvalidationGateway;
  announcer: PurgeAnnouncer;
  clock: () => number;
  logger: Logger;
  /** Watched channels hear about every purge; optional so unit tests can leave it out. */
  activity?: ActivityFeed;
};

export function publishPurge(
  deps: PurgeLifecycleDeps,
  op: PurgeOperation,
  stage: "requested" | "approved" | "completed" | "failed",
  summary: string,
): Promise<void> {
  return (
    deps.activity?.publish({
      kind: "purge",
      stage,
      distributionId: op.distributionId,
      alias: op.alias,
      actorUserId: op.requestedBy.userId,
      channelId: op.channelId,
      ...(op.messageTs ? { messageTs: op.messageTs } : {}),
      summary,
    }) ?? Promise.resolve()
  );
}

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

// What one purge's thread is told, and its finish, happen one at a time per purge: sending and
// polling run as separate jobs, and both may finish the same purge.
const threadLocks = new Map<string, Promise<unknown>>();

function serially<T>(opId: string, work: () => Promise<T>): Promise<T> {
  const run = (threadLocks.get(opId) ?? Promise.resolve()).then(work, work);
  const tail = run.catch(() => undefined);
  threadLocks.set(opId, tail);
  void tail.then(() => {
    if (threadLocks.get(opId) === tail) threadLocks.delete(opId);
  });
  return run;
}

/**
 * Says in the thread that the invalidation exists, at most once: the flag is stored before posting,
 * so a crash mid-post can cost this progress note but never repeat it. The final reply, which the
 * thread must not miss, is the one posted at least once.
 */
export function announceCreated(deps: PurgeLifecycleDeps, op: PurgeOperation): Promise<void> {
  return serially(op.id, () => announceCreatedNow(deps, op.id));
}

async function announceCreatedNow(deps: PurgeLifecycleDeps, id: string): Promise<void> {
  const op = findOperation(deps.store, id);
  if (!op || op.announced.created || !op.messageTs || !op.invalidationId) return;
  await updateOperation(deps.store, op.id, { announced: { ...op.announced, created: true } });
  const ok = await tryAnnounce(deps, op, () => deps.announcer.replyCreated(op));
  if (!ok) {
    const latest = findOperation(deps.store, op.id) ?? op;
    await updateOperation(deps.store, op.id, { announced: { ...latest.announced, created: false } });
  }
  await tryAnnounce(deps, op, () => deps.announcer.refreshParent(op));
}

/** Replies with the outcome once; a Slack failure leaves it for the next tick to try again. */
export function announceFinal(deps: PurgeLifecycleDeps, op: PurgeOperation): Promise<void> {
  return serially(op.id, () => announceFinalNow(deps, op.id));
}

async function announceFinalNow(deps: PurgeLifecycleDeps, id: string): Promise<void> {
  const fresh = findOperation(deps.store, id);
  if (!fresh || fresh.announced.final || !fresh.messageTs) return;
  if (fresh.state !== "completed" && fresh.state !== "failed") return;
  if (!fresh.announced.created && fresh.invalidationId) await announceCreatedNow(deps, id);
  const ok = await tryAnnounce(deps, fresh, () => deps.announcer.replyFinal(fresh));
  if (ok) {
    const latest = findOperation(deps.store, id) ?? fresh;
    await updateOperation(deps.store, id, { announced: { ...latest.announced, final: true } });
  }
  // The parent's status line is a convenience; the thread reply above is the record.
  await tryAnnounce(deps, fresh, () => deps.announcer.refreshParent(fresh));
}

/** Tells the thread something once (queued, retrying …), however many ticks it stays true. */
export function tellOnce(deps: PurgeLifecycleDeps, op: PurgeOperation, note: string): Promise<void> {
  return serially(op.id, async () => {
    const fresh = findOperation(deps.store, op.id) ?? op;
    if (!fresh.messageTs || fresh.told.includes(note)) return;
    const current = await updateOperation(deps.store, op.id, { told: [...fresh.told, note] });
    await tryAnnounce(deps, current, () => deps.announcer.replyNote(current, note));
  });
}

export function finishOperation(
  deps: PurgeLifecycleDeps,
  op: PurgeOperation,
  outcome: { state: "completed" } | { state: "failed"; error: string },
): Promise<void> {
  return serially(op.id, async () => {
    const fresh = findOperation(deps.store, op.id) ?? op;
    if (fresh.state === "completed" || fresh.state === "failed") return;
    const current = await updateOperation(deps.store, op.id, {
      ...outcome,
      finishedAt: deps.clock(),
    });
    await recordAudit(deps.store, deps.clock(), {
      ...auditContext(current),
      type: outcome.state === "completed" ? "purge.completed" : "purge.failed",
      summary:
        outcome.state === "completed"
          ? `Invalidation ${current.invalidationId ?? "?"} Completed`
          : outcome.error,
      outcome: outcome.state === "completed" ? "ok" : "error",
    });
    await announceFinalNow(deps, op.id);
    await publishPurge(
      deps,
      current,
      outcome.state,
      outcome.state === "completed"
        ? `purge of ${plural(current.paths.length, "path")} Completed (invalidation ${current.invalidationId ?? "?"})`
        : `purge of ${plural(current.paths.length, "path")} Failed: ${outcome.error}`,
    );
  });
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
