import type { InvalidationGateway } from "../aws/cloudfront-gateway.js";
import type { Logger } from "../logger.js";
import type { Failure } from "../store/failures.js";
import type { RecordStore } from "../store/record-store.js";
import type { AuditRecord, PurgeOperation } from "../store/records.js";
import { retryOnConflict } from "../store/retry-on-conflict.js";
import { plural } from "../text/plain-text.js";
import { KeyedLock } from "../tracking/keyed-lock.js";
import type { ActivityFeed } from "../watch/activity-feed.js";
import { describeFailure } from "../workflow/failures.js";
import { auditContext, noteKey, type PurgeNote } from "./batch-machine.js";
import type { PurgeAnnouncer } from "./purge-announcer.js";

export type PurgeLifecycleDeps = {
  records: RecordStore;
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

export function findOperation(records: RecordStore, id: string): Promise<PurgeOperation | undefined> {
  return records.get("purge", id);
}

/**
 * Changes one purge: `change` gets the purge as stored now and returns the new one (or undefined to
 * leave it), the commit is conditional on the version read, and a lost race reads again.
 */
export async function updateOperation(
  records: RecordStore,
  id: string,
  change: (op: PurgeOperation) => PurgeOperation | undefined,
  at: number,
  audit: (op: PurgeOperation) => AuditRecord[] = () => [],
): Promise<PurgeOperation | undefined> {
  return retryOnConflict(async () => {
    const current = await records.get("purge", id);
    if (!current) return undefined;
    const next = change(current);
    if (!next) return undefined;
    await records.commit(
      {
        writes: [{ kind: "purge", op: "replace", record: next, expectedVersion: current.version }],
        audit: audit(next),
      },
      at,
    );
    return { ...next, version: current.version + 1 };
  });
}

/**
 * Purges this process is carrying forward right now (a request being processed, a purge joining
 * its batch): the recovery passes leave them to the hands that hold them, and take over only what
 * nobody holds (a previous process's, or one whose request gave up).
 */
const held = new Map<string, number>();

export async function holding<T>(id: string, work: () => Promise<T>): Promise<T> {
  held.set(id, (held.get(id) ?? 0) + 1);
  try {
    return await work();
  } finally {
    const left = (held.get(id) ?? 1) - 1;
    if (left > 0) held.set(id, left);
    else held.delete(id);
  }
}

const isHeld = (id: string): boolean => held.has(id);

/**
 * How long after it was asked for a purge may still be in a live process's hands before another
 * replica's recovery pass takes it over. A burst under a cap decides one purge at a time across
 * replicas, so the last of twenty waited over 10 s on a loaded machine, and was carried out (and its
 * thread posted) by both replicas; no step of a live process takes 30 s.
 */
const ABANDONED_AFTER_MS = 30_000;

/**
 * Whether a recovery pass should take this purge over: nobody here holds it, and its last sign of
 * life is from before this process started, or older than a request in flight ever waits (its
 * hands, here or on another replica, are gone). A received purge taken over while its first hands
 * still wait for a cap's lock is decided once: the second decision's commit conflicts.
 */
export function isLeftBehind(op: PurgeOperation, startedAt: number, now: number): boolean {
  if (isHeld(op.id)) return false;
  // The last sign of its hands: the claim of its thread's post when there is one (a decision that
  // waited long under a cap's lock is still in hands while it posts), else its request.
  const lastSeen = Math.max(op.requestedAt, op.posting?.parent ?? 0);
  return lastSeen < startedAt || now - lastSeen >= ABANDONED_AFTER_MS;
}

// What one purge's thread is told, and its finish, happen one at a time per purge: sending and
// polling run as separate jobs, and both may finish the same purge.
const threadLocks = new KeyedLock();

function serially<T>(opId: string, work: () => Promise<T>): Promise<T> {
  return threadLocks.run(opId, work);
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
  const now = deps.clock();
  const op = await updateOperation(
    deps.records,
    id,
    (o) =>
      o.announced.created || !o.messageTs || !o.invalidationId
        ? undefined
        : { ...o, announced: { ...o.announced, created: true } },
    now,
  );
  if (!op) return;
  const ok = await tryAnnounce(deps, op, () => deps.announcer.replyCreated(op));
  if (!ok) {
    await updateOperation(
      deps.records,
      id,
      (o) => ({ ...o, announced: { ...o.announced, created: false } }),
      now,
    );
  }
  await tryAnnounce(deps, op, () => deps.announcer.refreshParent(op));
}

/** Replies with the outcome once; a Slack failure leaves it for the next tick to try again. */
export function announceFinal(deps: PurgeLifecycleDeps, op: PurgeOperation): Promise<void> {
  return serially(op.id, () => announceFinalNow(deps, op.id));
}

async function announceFinalNow(deps: PurgeLifecycleDeps, id: string): Promise<void> {
  const fresh = await findOperation(deps.records, id);
  if (!fresh || fresh.announced.final || !fresh.messageTs) return;
  if (fresh.state !== "completed" && fresh.state !== "failed") return;
  if (!fresh.announced.created && fresh.invalidationId) await announceCreatedNow(deps, id);
  const markFinal = () =>
    updateOperation(
      deps.records,
      id,
      (o) => ({ ...o, announced: { ...o.announced, final: true } }),
      deps.clock(),
    );
  // An earlier post was begun and its outcome never stored: it may be in the thread already.
  const earlier = await lookForEarlierPost(deps, fresh, "final");
  if (earlier === "unknown") return;
  if (earlier === "absent") {
    // Stored before the post: a crash mid-post leaves a trace to look for, never a blind repeat.
    const marked = await updateOperation(
      deps.records,
      id,
      (o) =>
        o.announced.final || !sameClaim(o, fresh, "final")
          ? undefined
          : { ...o, posting: { ...o.posting, final: deps.clock() } },
      deps.clock(),
    );
    if (!marked) return;
    if (await tryAnnounce(deps, marked, () => deps.announcer.replyFinal(marked))) await markFinal();
  } else await markFinal();
  // The parent's status line is a convenience; the thread reply above is the record.
  await tryAnnounce(deps, fresh, () => deps.announcer.refreshParent(fresh));
}

/**
 * Whether the post's claim is still the one looked for: another replica (or pass) that claimed it
 * since is posting it, so this one steps back rather than post it twice.
 */
function sameClaim(now: PurgeOperation, seen: PurgeOperation, which: "parent" | "final"): boolean {
  return now.posting?.[which] === seen.posting?.[which];
}

/**
 * Whether a post begun earlier (`posting` says when) reached Slack: "found" with its ts, "absent"
 * when none was begun or Slack has none, "unknown" when Slack cannot be read now (try later).
 */
async function lookForEarlierPost(
  deps: PurgeLifecycleDeps,
  op: PurgeOperation,
  which: "parent" | "final",
): Promise<{ ts: string } | "absent" | "unknown"> {
  if (op.posting?.[which] === undefined) return "absent";
  try {
    const ts = await deps.announcer.findPosted(op, which);
    return ts ? { ts } : "absent";
  } catch (error) {
    deps.logger.warn("Could not read Slack to find an earlier post; will retry", { operation: op.id, error });
    return "unknown";
  }
}

/**
 * Opens a purge's thread that has none yet (a crash came between deciding and storing the posted
 * message's ts): finds the parent message if it was posted, else posts it, storing "under way"
 * first. Returns the purge with its thread, or undefined to try again on the next pass.
 */
export async function openThread(
  deps: PurgeLifecycleDeps,
  op: PurgeOperation,
): Promise<PurgeOperation | undefined> {
  return serially(op.id, async () => {
    const earlier = await lookForEarlierPost(deps, op, "parent");
    if (earlier === "unknown") return undefined;
    let messageTs: string;
    if (earlier === "absent") {
      const marked = await updateOperation(
        deps.records,
        op.id,
        (o) =>
          o.messageTs || !sameClaim(o, op, "parent")
            ? undefined
            : { ...o, posting: { ...o.posting, parent: deps.clock() } },
        deps.clock(),
      );
      if (!marked) return findOperation(deps.records, op.id);
      try {
        messageTs = await deps.announcer.postParent(marked);
      } catch (error) {
        deps.logger.warn("Could not open a purge's thread; will retry", { operation: op.id, error });
        return undefined;
      }
    } else messageTs = earlier.ts;
    return updateOperation(deps.records, op.id, (o) => ({ ...o, messageTs }), deps.clock());
  });
}

/** Tells the thread something once (queued, retrying …), however many ticks it stays true. */
export function tellOnce(deps: PurgeLifecycleDeps, op: PurgeOperation, note: PurgeNote): Promise<void> {
  // Told once by the note's code, never its wording: rewording a message repeats nothing after a restart.
  const key = noteKey(note);
  return serially(op.id, async () => {
    const current = await updateOperation(
      deps.records,
      op.id,
      (o) => (!o.messageTs || o.told.includes(key) ? undefined : { ...o, told: [...o.told, key] }),
      deps.clock(),
    );
    if (current) await tryAnnounce(deps, current, () => deps.announcer.replyNote(current, note));
  });
}

export function finishOperation(
  deps: PurgeLifecycleDeps,
  op: PurgeOperation,
  outcome: { state: "completed" } | { state: "failed"; failure: Failure },
): Promise<void> {
  return serially(op.id, async () => {
    const now = deps.clock();
    const current = await updateOperation(
      deps.records,
      op.id,
      (o) =>
        o.state === "completed" || o.state === "failed" ? undefined : { ...o, ...outcome, finishedAt: now },
      now,
      (o) => [
        {
          ...auditContext(o),
          type: outcome.state === "completed" ? "purge.completed" : "purge.failed",
          summary:
            outcome.state === "completed"
              ? `Invalidation ${o.invalidationId ?? "?"} Completed`
              : describeFailure(outcome.failure),
          outcome: outcome.state === "completed" ? "ok" : "error",
        },
      ],
    );
    if (!current) return;
    await announceFinalNow(deps, op.id);
    await publishPurge(
      deps,
      current,
      outcome.state,
      outcome.state === "completed"
        ? `purge of ${plural(current.paths.length, "path")} Completed (invalidation ${current.invalidationId ?? "?"})`
        : `purge of ${plural(current.paths.length, "path")} Failed: ${describeFailure(outcome.failure)}`,
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
