import type { Logger } from "../logger.js";

export type TrackerDeps = {
  pollMs: number;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
};

/**
 * The bot's heartbeat: runs its jobs (the purge engine's tick, the approval sweep …) one after the
 * other every poll interval, or sooner when woken. Jobs never overlap, so no distribution is ever
 * polled twice at once. All state lives in the store, so a restarted bot picks up where it stopped.
 */
export class PurgeTracker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wokenEarly = false;
  private readonly jobs: Array<() => Promise<void>> = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: TrackerDeps) {}

  addJob(job: () => Promise<void>): void {
    this.jobs.push(job);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.wake();
    await this.loop;
  }

  /** Runs the jobs now rather than at the next interval (or right after the current run). */
  wake(): void {
    this.wokenEarly = true;
    this.wakeUp?.();
  }

  /** Runs the jobs at this wall-clock time, e.g. when a coalescing window closes. */
  wakeAt(at: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.wake();
      },
      Math.max(0, at - Date.now()),
    );
    timer.unref();
    this.timers.add(timer);
  }

  /** One run of every job, in order; a failing job is logged and does not stop the others. */
  async runJobs(): Promise<void> {
    for (const job of this.jobs) {
      try {
        await job();
      } catch (error) {
        this.deps.logger.error("Tracker job failed", { error });
      }
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.wokenEarly = false;
      await this.runJobs();
      if (!this.running) break;
      if (this.wokenEarly) continue;
      await Promise.race([
        this.deps.sleep(this.deps.pollMs),
        new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        }),
      ]);
      this.wakeUp = undefined;
    }
  }
}
