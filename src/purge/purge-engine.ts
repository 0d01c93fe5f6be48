import { describeAwsError } from "../aws/aws-errors.js";
import type { InvalidationInfo } from "../aws/cloudfront-gateway.js";
import type { PurgeBatch, PurgeOperation } from "../store/records.js";
import { retryDelay } from "../tracking/backoff.js";
import type { CallPacer } from "../tracking/call-pacer.js";
import { forEachConcurrently } from "../tracking/concurrently.js";
import { GatheredRuns } from "../tracking/gathered-runs.js";
import { FinishTimes, nextStatusAt, STATUS_EVERY_MS } from "../tracking/status-pacing.js";
import { type Owns, ownedAmong } from "../tracking/work-leases.js";
import { awsRefusal, invalidationLost } from "../workflow/failures.js";
import { isOnItsWay, type JoiningOptions, joinBatches } from "./batch-joining.js";
import { type BatchEffect, type BatchEvent, splitPaths } from "./batch-machine.js";
import { commitBatchEvent, createBatchInvalidation, pathsInFlight, readStatuses } from "./batch-steps.js";
import { CLOUDFRONT_PATH_LIMITS } from "./invalidation-paths.js";
import {
  announceCreated,
  announceFinal,
  finishOperation,
  holding,
  isLeftBehind,
  openThread,
  type PurgeLifecycleDeps,
  tellOnce,
} from "./purge-lifecycle.js";

export type PurgeEngineOptions = {
  coalesceWindowMs: number;
  pollMs: number;
  /** Ask the loop to run again at this time (a batch's window closes, a retry is due). */
  wakeAt: (at: number) => void;
  /** Ask for the status poll at this time (a distribution's next status is due); else the next tick. */
  wakePollAt?: (at: number) => void;
  /** At most one status call per distribution this often while it has invalidations in flight. */
  statusEveryMs?: number;
  /**
   * CreateInvalidation's pace per AWS account (`accountOf` names a distribution's); without it,
   * every send goes at once.
   */
  pacer?: CallPacer;
  accountOf?: (distributionId: string) => string;
  /** What each distribution's invalidations took before (a bench compares with none learnt). */
  finishTimes?: FinishTimes;
  random?: () => number;
  newBatchId?: () => string;
  /**
   * Whether this replica does a distribution's work now (`tracking/work-leases.ts`); without it,
   * this process does all of it.
   */
  owns?: Owns;
  limits?: {
    maxFilePathsInFlight: number;
    maxWildcardPathsInFlight: number;
    maxPathsPerInvalidation: number;
  };
};

export type PurgeEngineDeps = PurgeLifecycleDeps & PurgeEngineOptions;

/** The lease that makes one replica the one that sends and polls a distribution's invalidations. */
export const workOf = (distributionId: string) => `purges:${distributionId}`;

const UNFINISHED = new Set<PurgeBatch["state"]>(["open", "waiting", "sending", "in-progress"]);

/**
 * Turns purges into as few invalidations as possible and follows them: coalesces purges of one
 * distribution within a window, keeps within CloudFront's in-flight quotas by queueing, retries
 * throttling with jittered backoff, and reads every in-flight invalidation of a distribution with
 * one ListInvalidations. What a batch does next is the batch machine's decision
 * (`batch-machine.ts`); the engine stores it, conditional on what it read, then carries it out.
 */
export class PurgeEngine {
  private readonly sending = new Set<string>();
  /**
   * One process joins a distribution's open batch one commit at a time, each commit taking every
   * purge that arrived while the one before was being stored: a burst of a hundred is a few
   * commits, not a hundred one after another racing the window (nor losing conditional writes to
   * itself). At most 40 a commit, well within a DynamoDB transaction.
   */
  private readonly joining = new GatheredRuns<PurgeOperation, PurgeBatch>(
    (distributionId, ops) =>
      joinBatches(this.deps.records, this.deps.clock, this.joiningOptions, distributionId, ops),
    40,
  );
  private readonly limits;
  private readonly joiningOptions: JoiningOptions;
  private readonly startedAt: number;
  private readonly statusEveryMs: number;
  /** How long each distribution's invalidations took, so polls are sparse before any can be done. */
  private readonly finishTimes: FinishTimes;
  /** Set when the bot stops: loops end at their next item rather than working through a queue. */
  private halted = false;
  /** When each distribution was last asked: never more than once per `statusEveryMs`. */
  private readonly lastAsked = new Map<string, number>();

  constructor(private readonly deps: PurgeEngineDeps) {
    this.limits = deps.limits ?? CLOUDFRONT_PATH_LIMITS;
    this.startedAt = deps.clock();
    this.statusEveryMs = deps.statusEveryMs ?? STATUS_EVERY_MS;
    this.finishTimes = deps.finishTimes ?? new FinishTimes();
    const { coalesceWindowMs, newBatchId, random } = deps;
    this.joiningOptions = {
      coalesceWindowMs,
      limits: this.limits,
      ...(newBatchId ? { newBatchId } : {}),
      ...(random ? { random } : {}),
    };
  }

  /**
   * Adds a stored purge (its thread already open) to its distribution's open batch, or opens one.
   * Every writer that finds no open batch proposes the same id for the next one (`openBatchId`), so
   * concurrent requests, here or on another replica, collide on its creation and join it instead
   * of each opening a batch of its own; a lost race is read again until the purge is in a batch.
   */
  async enqueue(op: PurgeOperation): Promise<PurgeBatch> {
    return holding(op.id, async () => {
      const batch = await this.joining.add(op.distributionId, op);
      const now = this.deps.clock();
      if (batch.sendAt <= now) await this.send(batch.id);
      else if (batch.operationIds[0] === op.id) this.deps.wakeAt(batch.sendAt);
      return batch;
    });
  }

  /** One event through the batch machine, stored (`batch-steps.ts`): what to do next. */
  private step(batchId: string, event: (batch: PurgeBatch) => Promise<BatchEvent> | BatchEvent) {
    return commitBatchEvent(this.deps.records, this.deps.clock, batchId, event);
  }

  /** Carries out a batch's effects that tell people or finish purges, in order. */
  private async perform(batch: PurgeBatch, effects: BatchEffect[]): Promise<void> {
    const purges = await this.operationsOf(batch);
    // Each purge's thread is told in order, the purges side by side: a batch of a hundred must not
    // wait out a hundred Slack round trips (and coalesced parent updates) one after another.
    const eachPurge = (work: (op: PurgeOperation) => Promise<void>) =>
      forEachConcurrently(purges, THREADS_AT_ONCE, work);
    for (const effect of effects) {
      if (effect.type === "wake") this.deps.wakeAt(effect.at);
      else if (effect.type === "tell") await eachPurge((op) => tellOnce(this.deps, op, effect.note));
      else if (effect.type === "announce-created") await eachPurge((op) => announceCreated(this.deps, op));
      else if (effect.type === "finish")
        await eachPurge((op) => finishOperation(this.deps, op, effect.outcome));
    }
  }

  /** The pacer's key for a distribution: its AWS account. */
  private accountKey(distributionId: string): string {
    return this.deps.accountOf?.(distributionId) ?? "account";
  }

  /**
   * Whether the batch's account may create an invalidation now; if not, the send job is woken when
   * it may, and the batch waits (open, still taking purges of its distribution).
   */
  private paced(distributionId: string, take = false): boolean {
    const pacer = this.deps.pacer;
    if (!pacer) return false;
    const now = this.deps.clock();
    const key = this.accountKey(distributionId);
    const wait = take ? pacer.tryTake(key, now) : pacer.peek(key, now);
    if (wait > 0) this.deps.wakeAt(now + wait);
    return wait > 0;
  }

  /**
   * Whether an open batch whose window has closed waits a moment for purges asked for before it
   * closed that are still on their way to it (stored and acked, their threads being opened): the
   * window is when people asked, not when their purges got through the store. A burst slower to
   * store than the window (a loaded machine, a slow Slack) is still one invalidation. Never past
   * `ARRIVING_HOLD_MS` after the window, whatever is still on its way.
   */
  private async holdForArriving(batch: PurgeBatch): Promise<boolean> {
    const now = this.deps.clock();
    if (batch.state !== "open" || now >= batch.sendAt + ARRIVING_HOLD_MS) return false;
    const arriving = (await this.deps.records.list("purge")).some((op) =>
      isOnItsWay(op, batch, (o) => isLeftBehind(o, this.startedAt, now)),
    );
    if (arriving) this.deps.wakeAt(Math.min(now + ARRIVING_RECHECK_MS, batch.sendAt + ARRIVING_HOLD_MS));
    return arriving;
  }

  /** Sends a batch's invalidation if its window has closed, the quota has room and its account's pace allows. */
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
    const before = await this.deps.records.get("batch", batchId);
    if (before && (await this.holdForArriving(before))) return;
    // The account's turn is taken before the claim (two sends at one instant cannot share it) and
    // given back if the claim sends nothing.
    if (!before || this.paced(before.distributionId, true)) return;
    const account = this.accountKey(before.distributionId);
    const claimed = await this.step(batchId, async (b) => ({
      type: "send",
      inFlight: splitPaths(await pathsInFlight(this.deps.records, b)),
      limits: this.limits,
    })).catch((error: unknown) => {
      this.deps.pacer?.refund(account, this.deps.clock());
      throw error;
    });
    if (!claimed?.effects.some((e) => e.type === "create-invalidation")) {
      this.deps.pacer?.refund(account, this.deps.clock());
      if (claimed) await this.perform(claimed.batch, claimed.effects);
      return;
    }
    const batch = claimed.batch;
    let invalidation: InvalidationInfo;
    try {
      // The CallerReference was stored with the batch: a retry after a crash gets the same invalidation.
      invalidation = await createBatchInvalidation(this.deps.cloudfront, batch);
    } catch (error) {
      const problem = describeAwsError(error);
      // Throttled in spite of the pace: the account's limit is lower (or shared): slow down.
      if (/Throttl|TooManyRequests/.test(problem.code))
        this.deps.pacer?.throttled(account, this.deps.clock());
      this.deps.logger.warn("CreateInvalidation failed", {
        batch: batch.id,
        code: problem.code,
        requestId: problem.requestId,
      });
      const retryAt =
        this.deps.clock() + retryDelay(batch.attempts, this.deps.pollMs, 5 * 60_000, this.deps.random);
      const failed = await this.step(batch.id, () => ({
        type: "send-failed",
        problem: {
          code: problem.code,
          explanation: problem.explanation,
          retryable: problem.retryable,
          ...(problem.requestId ? { requestId: problem.requestId } : {}),
        },
        failure: awsRefusal(error),
        retryAt,
      }));
      if (failed) await this.perform(failed.batch, failed.effects);
      return;
    }
    this.deps.pacer?.succeeded(account, this.deps.clock());
    const createdAt = this.deps.clock();
    const nextPollAt = nextStatusAt(
      createdAt,
      createdAt,
      this.finishTimes.fastest(batch.distributionId),
      this.statusEveryMs,
    );
    const created = await this.step(batch.id, () => ({
      type: "created",
      invalidation: {
        id: invalidation.id,
        status: invalidation.status,
        ...(invalidation.requestId ? { requestId: invalidation.requestId } : {}),
      },
      nextPollAt,
    }));
    if (!created) return;
    this.deps.wakePollAt?.(nextPollAt);
    // Completed at once (it happens): the batch is finished in a step of its own, after the thread
    // heard that the invalidation exists.
    const finishing = created.effects.filter((e) => e.type === "finish");
    await this.perform(
      created.batch,
      created.effects.filter((e) => e.type !== "finish"),
    );
    if (finishing.length > 0) await this.settle(batch.id, { type: "completed" });
  }

  private async operationsOf(batch: PurgeBatch): Promise<PurgeOperation[]> {
    const found = await Promise.all(batch.operationIds.map((id) => this.deps.records.get("purge", id)));
    return found.filter((op): op is PurgeOperation => op !== undefined);
  }

  private async settle(batchId: string, event: BatchEvent): Promise<void> {
    const done = await this.step(batchId, () => event);
    if (done) await this.perform(done.batch, done.effects);
  }

  /** Stops starting new sends and polls (SIGTERM): what is queued stays in the store for the next start. */
  halt(): void {
    this.halted = true;
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
    const live = (await this.deps.records.list("batch")).filter((b) => UNFINISHED.has(b.state));
    const due = live.filter((b) => b.state !== "in-progress" && b.sendAt <= now);
    const mine = await this.ownedDistributions(due.map((b) => b.distributionId));
    const queued = new Map<string, number>();
    for (const b of due) {
      if (this.halted) return;
      if (!mine.has(b.distributionId)) continue;
      await this.send(b.id);
      if (b.state === "open" && this.deps.pacer && this.paced(b.distributionId))
        await this.tellPaced(b, queued);
    }
  }

  /**
   * Tells a batch's purges, once, that they wait for their account's turn: how many invalidations
   * of the account are ahead of theirs in this pass, and about how long that takes at its pace.
   */
  private async tellPaced(b: PurgeBatch, queued: Map<string, number>): Promise<void> {
    const account = this.accountKey(b.distributionId);
    const ahead = queued.get(account) ?? 0;
    queued.set(account, ahead + 1);
    const seconds = Math.ceil(this.deps.pacer!.waitFor(account, ahead, this.deps.clock()) / 1000);
    const stored = await this.deps.records.get("batch", b.id);
    if (stored?.state !== "open") return; // sent meanwhile
    await forEachConcurrently(await this.operationsOf(stored), THREADS_AT_ONCE, (op) =>
      tellOnce(this.deps, op, { code: "paced", ahead, seconds }),
    );
  }

  /** The distributions among these whose work this replica holds the lease of. */
  private ownedDistributions(ids: string[]): Promise<Set<string>> {
    return ownedAmong(ids, workOf, this.deps.owns);
  }

  /** Reads every in-flight invalidation that is due (one list per distribution) and tells the threads. */
  async pollInFlight(): Promise<void> {
    if (this.halted) return;
    const now = this.deps.clock();
    // One list answers for every in-flight invalidation of a distribution: when one is due, read all.
    const inProgress = (await this.deps.records.list("batch")).filter((b) => b.state === "in-progress");
    // Of several replicas, only the one holding a distribution's lease reads it; none is read twice
    // within `statusEveryMs`, however many of its invalidations fall due in between.
    const dueDistributions = await this.ownedDistributions(
      inProgress
        .filter(
          (b) =>
            (b.nextPollAt ?? 0) <= now &&
            (this.lastAsked.get(b.distributionId) ?? -Infinity) + this.statusEveryMs <= now,
        )
        .map((b) => b.distributionId),
    );
    const byDistribution = new Map<string, PurgeBatch[]>();
    for (const b of inProgress.filter((x) => dueDistributions.has(x.distributionId))) {
      const list = byDistribution.get(b.distributionId) ?? [];
      list.push(b);
      byDistribution.set(b.distributionId, list);
    }
    await Promise.all([...byDistribution].map(([id, batches]) => this.poll(id, batches, now)));
    this.askAgainAtNextDue();
    await forEachConcurrently(await this.deps.records.list("purge"), THREADS_AT_ONCE, async (op) => {
      if (op.state === "in-progress" && !op.announced.created) await announceCreated(this.deps, op);
      if ((op.state === "completed" || op.state === "failed") && !op.announced.final)
        await announceFinal(this.deps, op);
    });
  }

  /**
   * Puts into a batch every purge that was stored but is in none: a crash caught it between storing
   * the intent and joining a batch or opening its thread, or its join gave up under contention.
   * Purges this process is handling right now are left to the request that holds them; a purge
   * of this process's that is in no batch a few seconds on lost its request's hands.
   */
  private async recoverOperations(): Promise<void> {
    const now = this.deps.clock();
    for (const op of await this.deps.records.list("purge")) {
      if (op.state !== "requested" || op.batchId || !isLeftBehind(op, this.startedAt, now)) continue;
      const current = op.messageTs ? op : await openThread(this.deps, op);
      if (current) await this.enqueue(current);
    }
  }

  /** The poll job runs again when the earliest in-flight invalidation is due, not at the next tick. */
  private askAgainAtNextDue(): void {
    if (!this.deps.wakePollAt) return;
    void this.deps.records.list("batch").then(
      (batches) => {
        const due = batches
          .filter((b) => b.state === "in-progress")
          .map((b) =>
            Math.max(b.nextPollAt ?? 0, (this.lastAsked.get(b.distributionId) ?? 0) + this.statusEveryMs),
          );
        if (due.length > 0) this.deps.wakePollAt?.(Math.min(...due));
      },
      () => undefined, // the next tick looks again
    );
  }

  /**
   * Asks CloudFront once about a distribution's invalidations in flight. The next ask is timed from
   * when this one was due (`askedAt`), not from when AWS answered, so a slow answer does not push
   * every later poll past the tick it was meant for.
   */
  private async poll(distributionId: string, batches: PurgeBatch[], askedAt: number): Promise<void> {
    this.lastAsked.set(distributionId, askedAt);
    const statuses = await readStatuses(this.deps, distributionId, batches);
    const now = this.deps.clock();
    for (const b of batches) {
      const status = statuses.get(b.invalidationId ?? "");
      if (status === "Completed") {
        if (b.createdAt !== undefined) this.finishTimes.record(distributionId, now - b.createdAt);
        await this.settle(b.id, { type: "completed" });
      } else if (status instanceof Error)
        await this.settle(b.id, { type: "lost", failure: invalidationLost(status) });
      else {
        await this.settle(b.id, {
          type: "still-running",
          nextPollAt: nextStatusAt(
            askedAt,
            b.createdAt ?? askedAt,
            this.finishTimes.fastest(distributionId),
            this.statusEveryMs,
          ),
        });
      }
      if (status === undefined) {
        // CloudFront did not answer (a timeout, throttling): the thread hears once that news is late.
        for (const op of await this.operationsOf(b)) await tellOnce(this.deps, op, { code: "slow-status" });
      }
    }
  }
}

/** How many purges' threads are told at once (Slack's client queues and paces beyond that). */
const THREADS_AT_ONCE = 16;
/**
 * How long past its window a batch waits for purges asked for within it, at most, and how often it
 * looks again: a purge that joins sends the batch itself, so the look is only for one that never
 * comes (refused, or sent for approval); looking often made the send job pass over every purge
 * five times a second in a burst.
 */
const ARRIVING_HOLD_MS = 5_000;
const ARRIVING_RECHECK_MS = 1_000;
