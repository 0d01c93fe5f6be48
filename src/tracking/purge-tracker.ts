import { describeAwsError } from "../aws/aws-errors.js";
import type { InvalidationInfo } from "../aws/cloudfront-gateway.js";
import {
  announceCreated,
  announceFinal,
  completeOperation,
  failOperation,
  type PurgeLifecycleDeps,
  sendInvalidation,
  updateOperation,
} from "../purge/purge-lifecycle.js";
import type { PurgeOperation } from "../store/records.js";

export type TrackerDeps = PurgeLifecycleDeps & {
  pollMs: number;
  sleep: (ms: number) => Promise<void>;
};

export function isUnfinished(op: PurgeOperation): boolean {
  return op.state !== "completed" && op.state !== "failed";
}

export function needsAttention(op: PurgeOperation): boolean {
  return isUnfinished(op) || !op.announced.final;
}

/**
 * Follows every purge in the store until its thread has its final message. All state lives in the
 * store, so a restarted bot picks up exactly where the last one stopped.
 */
export class PurgeTracker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  /** `jobs` run on every tick after the purges, e.g. the approval expiry sweep. */
  constructor(
    private readonly deps: TrackerDeps,
    private readonly jobs: ReadonlyArray<() => Promise<void>> = [],
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
  }

  /** Polls now rather than at the next interval. */
  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      for (const job of [() => this.tick(), ...this.jobs]) {
        try {
          await job();
        } catch (error) {
          this.deps.logger.error("Tracker job failed", { error });
        }
      }
      if (!this.running) break;
      await Promise.race([
        this.deps.sleep(this.deps.pollMs),
        new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        }),
      ]);
      this.wakeUp = undefined;
    }
  }

  /** One pass over everything in flight: one status read per distribution where possible. */
  async tick(): Promise<void> {
    const pending = this.deps.store.data.operations.filter(needsAttention);
    const byDistribution = new Map<string, PurgeOperation[]>();
    for (const op of pending) {
      const list = byDistribution.get(op.distributionId) ?? [];
      list.push(op);
      byDistribution.set(op.distributionId, list);
    }
    await Promise.all(
      [...byDistribution.entries()].map(([distributionId, ops]) =>
        this.tickDistribution(distributionId, ops),
      ),
    );
  }

  private async tickDistribution(distributionId: string, ops: PurgeOperation[]): Promise<void> {
    const inFlight: PurgeOperation[] = [];
    for (const op of ops) {
      if (op.state === "completed" || op.state === "failed") await announceFinal(this.deps, op);
      else if (op.state === "requested" || op.state === "creating") await this.resend(op);
      else inFlight.push(op);
    }
    if (inFlight.length === 0) return;
    const statuses = await this.readStatuses(distributionId, inFlight);
    for (const op of inFlight) {
      const status = statuses.get(op.invalidationId ?? "");
      if (!status) continue;
      await announceCreated(this.deps, op);
      await updateOperation(this.deps.store, op.id, { lastPolledAt: this.deps.clock() });
      if (status.status === "Completed") await completeOperation(this.deps, op);
    }
  }

  private async resend(op: PurgeOperation): Promise<void> {
    let current = op;
    if (!current.messageTs) {
      // The bot stopped between storing the intent and posting its thread: open the thread now.
      try {
        const messageTs = await this.deps.announcer.postParent(current);
        current = await updateOperation(this.deps.store, op.id, { messageTs });
      } catch (error) {
        this.deps.logger.warn("Could not open the purge's thread; will retry", { operation: op.id, error });
        return;
      }
    }
    await sendInvalidation(this.deps, current);
  }

  private async readStatuses(
    distributionId: string,
    ops: PurgeOperation[],
  ): Promise<Map<string, InvalidationInfo>> {
    const found = new Map<string, InvalidationInfo>();
    try {
      for (const inv of await this.deps.cloudfront.listInvalidations(distributionId)) found.set(inv.id, inv);
    } catch (error) {
      const problem = describeAwsError(error);
      this.deps.logger.warn("ListInvalidations failed", { distributionId, code: problem.code });
    }
    for (const op of ops) {
      const id = op.invalidationId;
      if (!id || found.has(id)) continue;
      try {
        found.set(id, await this.deps.cloudfront.getInvalidation(distributionId, id));
      } catch (error) {
        const problem = describeAwsError(error);
        this.deps.logger.warn("GetInvalidation failed", { operation: op.id, code: problem.code });
        if (!problem.retryable)
          await failOperation(this.deps, op, `I lost track of it: ${problem.explanation}`);
      }
    }
    return found;
  }
}
