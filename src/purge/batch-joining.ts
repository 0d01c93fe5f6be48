import type { RecordStore, RecordWrite } from "../store/record-store.js";
import type { PurgeBatch, PurgeOperation } from "../store/records.js";
import { retryOnConflict } from "../store/retry-on-conflict.js";
import { splitPaths } from "./batch-machine.js";
import { coalescePaths } from "./invalidation-paths.js";

/**
 * How purges meet in a distribution's open batch: which batch each joins (pure), and the commit that
 * stores them together. Every writer that finds no open batch proposes the same id for the next one
 * (`openBatchId`), so concurrent writers, in this process or on another replica, collide on its
 * creation and join it instead of each opening a batch of its own.
 */

export type JoiningOptions = {
  coalesceWindowMs: number;
  limits: { maxPathsPerInvalidation: number; maxWildcardPathsInFlight: number };
  /** A test names its batches; otherwise `openBatchId`. */
  newBatchId?: () => string;
  random?: () => number;
};

/** The batches a join writes, each with the version it was read at (none: created by this join). */
type Placement = {
  batches: Map<string, { batch: PurgeBatch; readAt?: number }>;
  batchOf: Map<string, string>;
};

/**
 * Places purges in a distribution's batches (those given are its live ones): each joins the first
 * open batch its paths fit in, else opens the next. An open batch past its window is waiting for its
 * account's turn to send: joining it makes a burst one invalidation per distribution, however long
 * the wait.
 */
export function placeInBatches(
  distributionId: string,
  live: readonly PurgeBatch[],
  ops: readonly PurgeOperation[],
  now: number,
  options: JoiningOptions,
): Placement {
  const placed: Placement = { batches: new Map(), batchOf: new Map() };
  const current = () => [
    ...live.filter((b) => !placed.batches.has(b.id)),
    ...[...placed.batches.values()].map((t) => t.batch),
  ];
  for (const op of ops) {
    const open = current().find(
      (b) => b.state === "open" && b.tenantId === op.tenant?.id && fits(b.paths, op.paths, options.limits),
    );
    const next: PurgeBatch = open
      ? {
          ...open,
          operationIds: [...open.operationIds, op.id],
          paths: coalescePaths([...open.paths, ...op.paths]).paths,
        }
      : newBatch(
          options.newBatchId?.() ??
            openBatchId(
              op.tenant?.id ? `${distributionId}~${op.tenant.id}` : distributionId,
              current(),
              now,
              options.coalesceWindowMs,
            ),
          op,
          now,
          options.coalesceWindowMs,
        );
    const readAt =
      placed.batches.get(next.id)?.readAt ??
      (open && !placed.batches.has(open.id) ? open.version : undefined);
    placed.batches.set(next.id, { batch: next, ...(readAt === undefined ? {} : { readAt }) });
    placed.batchOf.set(op.id, next.id);
  }
  return placed;
}

/**
 * Puts purges of one distribution into its batches in one commit: each purge is stored with its
 * batch's id in the same commit as the batch that holds it, so neither is ever stored without the
 * other. A purge already in a batch (a replica put it there) is answered with that batch; one not
 * in the store, with an Error. A lost race is read again until every purge is in a batch.
 */
export function joinBatches(
  records: RecordStore,
  clock: () => number,
  options: JoiningOptions,
  distributionId: string,
  ops: readonly PurgeOperation[],
): Promise<(PurgeBatch | Error)[]> {
  return retryOnConflict(
    async () => {
      const now = clock();
      const answers = new Map<string, PurgeBatch | Error>();
      const joining: PurgeOperation[] = [];
      for (const op of ops) {
        const stored = await records.get("purge", op.id);
        const joined = stored?.batchId ? await records.get("batch", stored.batchId) : undefined;
        if (!stored) answers.set(op.id, new Error(`operation ${op.id} is not in the store`));
        else if (joined) answers.set(op.id, joined);
        else joining.push(stored);
      }
      if (joining.length > 0) {
        const live = (await records.list("batch")).filter((b) => b.distributionId === distributionId);
        const placed = placeInBatches(distributionId, live, joining, now, options);
        const writes: RecordWrite[] = [...placed.batches.values()].map(({ batch, readAt }) =>
          readAt === undefined
            ? { kind: "batch", op: "create", record: batch }
            : { kind: "batch", op: "replace", record: batch, expectedVersion: readAt },
        );
        for (const stored of joining)
          writes.push({
            kind: "purge",
            op: "replace",
            record: { ...stored, batchId: placed.batchOf.get(stored.id)! },
            expectedVersion: stored.version,
          });
        await records.commit({ writes }, now);
        // Each purge is answered with its batch as committed (every purge of it, the new version).
        for (const stored of joining) {
          const { batch, readAt } = placed.batches.get(placed.batchOf.get(stored.id)!)!;
          answers.set(stored.id, { ...batch, version: readAt === undefined ? batch.version : readAt + 1 });
        }
      }
      return ops.map((op) => answers.get(op.id)!);
    },
    // A burst on several replicas meets here: many tries, spaced out, before giving up to the next
    // pass of the send job (which finds the purge without a batch and joins it then).
    { attempts: 200, ...(options.random ? { random: options.random } : {}) },
  );
}

/**
 * Whether a purge asked for before a batch's window closed is still on its way to it: stored and
 * acked, not yet in a batch (its thread being opened). `leftBehind` says whose hands are gone.
 */
export function isOnItsWay(
  op: PurgeOperation,
  batch: PurgeBatch,
  leftBehind: (op: PurgeOperation) => boolean,
): boolean {
  return (
    op.distributionId === batch.distributionId &&
    op.tenant?.id === batch.tenantId &&
    !op.batchId &&
    (op.state === "received" || op.state === "requested") &&
    op.requestedAt <= batch.sendAt &&
    !leftBehind(op)
  );
}

function fits(current: string[], adding: string[], limits: JoiningOptions["limits"]): boolean {
  const merged = coalescePaths([...current, ...adding]).paths;
  return (
    merged.length <= limits.maxPathsPerInvalidation &&
    splitPaths(merged).wildcards <= limits.maxWildcardPathsInFlight
  );
}

/**
 * The id the next open batch of a distribution gets: the coalescing window it opens in, and how
 * many batches of that window are already live (a full batch makes room for a second). Writers that
 * see the same batches propose the same id, so their creates collide and the losers join.
 */
export function openBatchId(
  distributionId: string,
  batches: readonly PurgeBatch[],
  now: number,
  windowMs: number,
): string {
  const base = `${distributionId}-${Math.floor(now / Math.max(windowMs, 1_000)).toString(36)}`;
  const taken = batches.filter((b) => b.id === base || b.id.startsWith(`${base}.`)).length;
  return taken === 0 ? base : `${base}.${taken}`;
}

function newBatch(id: string, op: PurgeOperation, now: number, windowMs: number): PurgeBatch {
  return {
    version: 0,
    id,
    distributionId: op.distributionId,
    ...(op.tenant?.id ? { tenantId: op.tenant.id } : {}),
    operationIds: [op.id],
    paths: [...op.paths],
    callerReference: `cdnbot-${id}`,
    state: "open",
    openedAt: now,
    sendAt: now + windowMs,
    attempts: 0,
  };
}
