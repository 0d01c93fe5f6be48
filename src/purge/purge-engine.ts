import { randomUUID } from "node:crypto";
import { describeAwsError } from "../aws/aws-errors.js";
import type { InvalidationInfo } from "../aws/cloudfront-gateway.js";
import { appendAudit } from "../store/audit-outbox.js";
import type { PurgeBatch, PurgeOperation, StoreData } from "../store/records.js";
import { plural } from "../text/plain-text.js";
import { pollDelay, retryDelay } from "../tracking/backoff.js";
import { monthKey } from "./invalidation-cost.js";
import { CLOUDFRONT_PATH_LIMITS, coalescePaths, countBilledPaths, isWildcard } from "./invalidation-paths.js";
import {
  announceCreated,
  announceFinal,
  auditContext,
  finishOperation,
  type PurgeLifecycleDeps,
  tellOnce,
  updateOperation,
} from "./purge-lifecycle.js";

export type PurgeEngineOptions = {
  coalesceWindowMs: number;
  pollMs: number;
  /** Ask the loop to run again at this time (a batch's window closes, a retry is due). */
  wakeAt: (at: number) => void;
  random?: () => number;
  newBatchId?: () => string;
  limits?: {
    maxFilePathsInFlight: number;
    maxWildcardPathsInFlight: number;
    maxPathsPerInvalidation: number;
  };
};

export type PurgeEngineDeps = PurgeLifecycleDeps & PurgeEngineOptions;

const UNFINISHED = new Set<PurgeBatch["state"]>(["open", "waiting", "sending", "in-progress"]);

function splitPaths(paths: string[]) {
  const wildcards = paths.filter(isWildcard).length;
  return { wildcards, files: paths.length - wildcards };
}

/**
 * Turns purges into as few invalidations as possible and follows them: coalesces purges of one
 * distribution within a window, keeps within CloudFront's in-flight quotas by queueing, retries
 * throttling with jittered backoff, and reads every in-flight invalidation of a distribution with
 * one ListInvalidations. Every step is stored first, so a restarted bot carries on where it stopped.
 */
export class PurgeEngine {
  private readonly sending = new Set<string>();
  private readonly limits;
  private readonly startedAt: number;

  constructor(private readonly deps: PurgeEngineDeps) {
    this.limits = deps.limits ?? CLOUDFRONT_PATH_LIMITS;
    this.startedAt = deps.clock();
  }

  /** Adds a stored purge (its thread already open) to its distribution's open batch, or opens one. */
  async enqueue(op: PurgeOperation): Promise<PurgeBatch> {
    const now = this.deps.clock();
    const batch = await this.deps.store.update((data) => {
      const stored = data.operations.find((o) => o.id === op.id);
      if (!stored) throw new Error(`operation ${op.id} is not in the store`);
      if (stored.batchId) return data.batches.find((b) => b.id === stored.batchId)!;
      const open = data.batches.find(
        (b) =>
          b.distributionId === op.distributionId &&
          b.state === "open" &&
          b.sendAt > now &&
          this.fits(b.paths, op.paths),
      );
      if (open) {
        open.operationIds.push(op.id);
        open.paths = coalescePaths([...open.paths, ...op.paths]).paths;
        stored.batchId = open.id;
        return { ...open };
      }
      const id = this.deps.newBatchId?.() ?? randomUUID();
      const created: PurgeBatch = {
        version: 0,
        id,
        distributionId: op.distributionId,
        operationIds: [op.id],
        paths: [...op.paths],
        callerReference: `cdnbot-${id}`,
        state: "open",
        openedAt: now,
        sendAt: now + this.deps.coalesceWindowMs,
        attempts: 0,
      };
      data.batches.push(created);
      stored.batchId = id;
      return { ...created };
    });
    if (batch.sendAt <= now) await this.send(batch.id);
    else if (batch.operationIds[0] === op.id) this.deps.wakeAt(batch.sendAt);
    return batch;
  }

  private fits(current: string[], adding: string[]): boolean {
    const merged = coalescePaths([...current, ...adding]).paths;
    return (
      merged.length <= this.limits.maxPathsPerInvalidation &&
      splitPaths(merged).wildcards <= this.limits.maxWildcardPathsInFlight
    );
  }

  /** Paths of this distribution's invalidations that CloudFront is still working on. */
  private inFlight(data: StoreData, distributionId: string) {
    const paths = data.batches
      .filter(
        (b) => b.distributionId === distributionId && (b.state === "in-progress" || b.state === "sending"),
      )
      .flatMap((b) => b.paths);
    return splitPaths(paths);
  }

  private quotaProblem(data: StoreData, batch: PurgeBatch): string | undefined {
    const busy = this.inFlight(data, batch.distributionId);
    const adding = splitPaths(batch.paths);
    const { maxFilePathsInFlight: maxFiles, maxWildcardPathsInFlight: maxWild } = this.limits;
    if (adding.wildcards > 0 && busy.wildcards + adding.wildcards > maxWild) {
      return `Queued: CloudFront allows ${maxWild} wildcard paths in progress per distribution and ${busy.wildcards} are; this purge starts when room frees up.`;
    }
    if (adding.files > 0 && busy.files + adding.files > maxFiles) {
      return `Queued: CloudFront allows ${maxFiles.toLocaleString("en-US")} file paths in progress per distribution and ${busy.files.toLocaleString("en-US")} are; this purge starts when room frees up.`;
    }
    return undefined;
  }

  /** Sends a batch's invalidation if its window has closed and the quota has room. */
  async send(batchId: string): Promise<void> {
    if (this.sending.has(batchId)) return;
    this.sending.add(batchId);
    try {
      await this.sendClaimed(batchId);
    } finally {
      this.sending.delete(batchId);
    }
  }

  private async sendClaimed(batchId: string): Promise<void> {
    const now = this.deps.clock();
    const claim = await this.deps.store.update((data) => {
      const b = data.batches.find((x) => x.id === batchId);
      if (!b || !["open", "waiting", "sending"].includes(b.state) || b.sendAt > now) return undefined;
      const problem = this.quotaProblem(data, b);
      if (problem) {
        b.state = "waiting";
        b.waitingReason = problem;
        return { batch: { ...b }, queued: problem };
      }
      b.state = "sending";
      b.attempts += 1;
      return { batch: { ...b } };
    });
    if (!claim) return;
    const ops = this.operationsOf(claim.batch);
    if (claim.queued) {
      for (const op of ops) await tellOnce(this.deps, op, claim.queued);
      return;
    }
    let invalidation: InvalidationInfo;
    try {
      invalidation = await this.deps.cloudfront.createInvalidation(
        claim.batch.distributionId,
        claim.batch.paths,
        claim.batch.callerReference,
      );
    } catch (error) {
      await this.handleSendError(claim.batch, ops, error);
      return;
    }
    await this.recordCreated(claim.batch, invalidation);
    for (const op of this.operationsOf(claim.batch)) await announceCreated(this.deps, op);
    if (invalidation.status === "Completed") await this.complete(claim.batch.id);
  }

  private async recordCreated(batch: PurgeBatch, invalidation: InvalidationInfo): Promise<void> {
    const now = this.deps.clock();
    await this.deps.store.update((data) => {
      const b = data.batches.find((x) => x.id === batch.id)!;
      const firstTime = b.invalidationId === undefined;
      Object.assign(b, {
        state: "in-progress",
        invalidationId: invalidation.id,
        createdAt: b.createdAt ?? now,
        nextPollAt: now + this.deps.pollMs,
      });
      delete b.waitingReason;
      if (firstTime) {
        const month = monthKey(now);
        data.pathsBilled[month] = (data.pathsBilled[month] ?? 0) + countBilledPaths(b.paths);
      }
      for (const op of data.operations.filter((o) => b.operationIds.includes(o.id))) {
        Object.assign(op, {
          state: "in-progress",
          invalidationId: invalidation.id,
          createdAt: op.createdAt ?? now,
        });
        appendAudit(data, now, {
          ...auditContext(op),
          type: "aws.CreateInvalidation",
          summary: `Invalidation ${invalidation.id} of ${plural(b.paths.length, "path")}${b.operationIds.length > 1 ? ` for ${b.operationIds.length} coalesced purges` : ""}`,
          outcome: "ok",
          ...(invalidation.requestId ? { awsRequestId: invalidation.requestId } : {}),
          details: { invalidationId: invalidation.id, batchId: b.id, paths: b.paths.slice(0, 50) },
        });
      }
    });
  }

  private async handleSendError(batch: PurgeBatch, ops: PurgeOperation[], error: unknown): Promise<void> {
    const problem = describeAwsError(error);
    const now = this.deps.clock();
    this.deps.logger.warn("CreateInvalidation failed", {
      batch: batch.id,
      code: problem.code,
      requestId: problem.requestId,
    });
    const retryAt = now + retryDelay(batch.attempts, this.deps.pollMs, 5 * 60_000, this.deps.random);
    await this.deps.store.update((data) => {
      const b = data.batches.find((x) => x.id === batch.id)!;
      if (problem.retryable)
        Object.assign(b, { state: "waiting", sendAt: retryAt, waitingReason: problem.explanation });
      else Object.assign(b, { state: "failed", error: problem.explanation, finishedAt: now });
      for (const op of ops) {
        appendAudit(data, now, {
          ...auditContext(op),
          type: "aws.CreateInvalidation",
          summary: `CreateInvalidation of ${plural(b.paths.length, "path")} failed: ${problem.code}${problem.retryable ? " (will retry)" : ""}`,
          outcome: "error",
          ...(problem.requestId ? { awsRequestId: problem.requestId } : {}),
        });
      }
    });
    if (problem.retryable) {
      this.deps.wakeAt(retryAt);
      for (const op of ops) await tellOnce(this.deps, op, `${problem.explanation} I will try again.`);
      return;
    }
    for (const op of ops)
      await finishOperation(this.deps, op, { state: "failed", error: problem.explanation });
  }

  private operationsOf(batch: PurgeBatch): PurgeOperation[] {
    return this.deps.store.data.operations.filter((o) => batch.operationIds.includes(o.id));
  }

  private async complete(batchId: string): Promise<void> {
    const now = this.deps.clock();
    const batch = await this.deps.store.update((data) => {
      const b = data.batches.find((x) => x.id === batchId)!;
      Object.assign(b, { state: "completed", finishedAt: now });
      return { ...b };
    });
    for (const op of this.operationsOf(batch)) await finishOperation(this.deps, op, { state: "completed" });
  }

  private async fail(batchId: string, explanation: string): Promise<void> {
    const batch = await this.deps.store.update((data) => {
      const b = data.batches.find((x) => x.id === batchId)!;
      Object.assign(b, { state: "failed", error: explanation, finishedAt: this.deps.clock() });
      return { ...b };
    });
    for (const op of this.operationsOf(batch))
      await finishOperation(this.deps, op, { state: "failed", error: explanation });
  }

  /** One pass: send what is due, poll what is in flight, say what is unsaid. */
  async tick(): Promise<void> {
    await this.sendDue();
    await this.pollInFlight();
  }

  /** Sends every batch whose window has closed (or whose retry is due), within the quotas. */
  async sendDue(): Promise<void> {
    await this.recoverOperations();
    const now = this.deps.clock();
    const live = this.deps.store.data.batches.filter((b) => UNFINISHED.has(b.state));
    for (const b of live) {
      if (b.state !== "in-progress" && b.sendAt <= now) await this.send(b.id);
    }
  }

  /** Reads every in-flight invalidation that is due (one list per distribution) and tells the threads. */
  async pollInFlight(): Promise<void> {
    const now = this.deps.clock();
    // One list answers for every in-flight invalidation of a distribution: when one is due, read all.
    const inProgress = this.deps.store.data.batches.filter((b) => b.state === "in-progress");
    const dueDistributions = new Set(
      inProgress.filter((b) => (b.nextPollAt ?? 0) <= now).map((b) => b.distributionId),
    );
    const byDistribution = new Map<string, PurgeBatch[]>();
    for (const b of inProgress.filter((x) => dueDistributions.has(x.distributionId))) {
      byDistribution.set(b.distributionId, [...(byDistribution.get(b.distributionId) ?? []), b]);
    }
    await Promise.all([...byDistribution].map(([id, batches]) => this.poll(id, batches)));
    for (const op of this.deps.store.data.operations) {
      if (op.state === "in-progress" && !op.announced.created) await announceCreated(this.deps, op);
      if ((op.state === "completed" || op.state === "failed") && !op.announced.final)
        await announceFinal(this.deps, op);
    }
  }

  /**
   * Purges a crash caught between storing the intent and joining a batch or opening the thread.
   * Only a previous process's: this one's are still in the hands of the request that made them.
   */
  private async recoverOperations(): Promise<void> {
    for (const op of this.deps.store.data.operations) {
      if (op.state !== "requested" || op.batchId || op.requestedAt >= this.startedAt) continue;
      let current = op;
      if (!current.messageTs) {
        try {
          const messageTs = await this.deps.announcer.postParent(current);
          current = await updateOperation(this.deps.store, op.id, { messageTs });
        } catch (error) {
          this.deps.logger.warn("Could not open a purge's thread; will retry", { operation: op.id, error });
          continue;
        }
      }
      await this.enqueue(current);
    }
  }

  private async poll(distributionId: string, batches: PurgeBatch[]): Promise<void> {
    const statuses = await this.readStatuses(distributionId, batches);
    const now = this.deps.clock();
    const stillRunning: string[] = [];
    for (const b of batches) {
      const status = statuses.get(b.invalidationId ?? "");
      if (status === "Completed") await this.complete(b.id);
      else if (status instanceof Error) await this.fail(b.id, `I lost track of it: ${status.message}`);
      else stillRunning.push(b.id);
      if (status === undefined) {
        // CloudFront did not answer (a timeout, throttling): the thread hears once that news is late.
        for (const op of this.operationsOf(b))
          await tellOnce(
            this.deps,
            op,
            "CloudFront is slow to answer about this invalidation; I keep checking and will reply here when it is Completed.",
          );
      }
    }
    if (stillRunning.length === 0) return;
    await this.deps.store.update((data) => {
      for (const b of data.batches.filter((x) => stillRunning.includes(x.id))) {
        b.nextPollAt = now + pollDelay(now - (b.createdAt ?? now), this.deps.pollMs);
      }
    });
  }

  private async readStatuses(
    distributionId: string,
    batches: PurgeBatch[],
  ): Promise<Map<string, string | Error>> {
    const found = new Map<string, string | Error>();
    try {
      for (const inv of await this.deps.cloudfront.listInvalidations(distributionId))
        found.set(inv.id, inv.status);
    } catch (error) {
      this.deps.logger.warn("ListInvalidations failed", {
        distributionId,
        code: describeAwsError(error).code,
      });
    }
    for (const b of batches) {
      const id = b.invalidationId;
      if (!id || found.has(id)) continue;
      try {
        found.set(id, (await this.deps.cloudfront.getInvalidation(distributionId, id)).status);
      } catch (error) {
        const problem = describeAwsError(error);
        this.deps.logger.warn("GetInvalidation failed", { batch: b.id, code: problem.code });
        if (!problem.retryable) found.set(id, new Error(problem.explanation));
      }
    }
    return found;
  }
}
