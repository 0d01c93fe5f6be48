import type { Logger } from "../logger.js";

export type SchedulerDeps = {
  pollMs: number;
  /**
   * How long one run of a job may take before it counts as stuck: it is logged, and the job runs
   * again on its next turn instead of waiting for the stuck run forever (work is in the store and
   * every step of it conditional, so a second run beside a hung one repeats nothing).
   */
  stuckAfterMs?: number;
  sleep: (ms: number) => Promise<void>;
  clock: () => number;
  logger: Logger;
};

export type JobHealth = {
  job: string;
  runs: number;
  lastFinishedAt?: number;
  failures: number;
  stuck: number;
};

type Job = {
  name: string;
  /** Resolves "skipped" when a job with `every` was woken before it was due: it did not look. */
  run: () => Promise<"ran" | "skipped">;
  current?: Promise<void>;
  again: boolean;
  runs: number;
  /** When a run last finished (or was given up as stuck), for the health report. */
  lastFinishedAt?: number;
  failures: number;
  stuck: number;
  /** Also runs this often, between the scheduler's ticks. */
  tick?: number;
};

/**
 * The bot's scheduler: runs each of its jobs (sending purges, polling them, the approval sweep,
 * following changes, alerts, moving finished work out of the live state)
 * every poll interval, or sooner when woken. Each job runs on its own: it never overlaps itself, so
 * no distribution is polled twice at once, and a job stuck on a slow call delays no other job. All
 * state lives in the store, so a restarted bot picks up where it stopped.
 */
export class Scheduler {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly jobs: Job[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly intervals = new Set<NodeJS.Timeout>();
  /** Each job's earliest wake of its own (`wakeJobAt`): one timer per job, however often asked. */
  private readonly jobWakes = new Map<string, { at: number; timer: NodeJS.Timeout }>();

  constructor(private readonly deps: SchedulerDeps) {}

  /**
   * Adds a job; with `every`, it does its work at most that often, however often it is woken; with
   * `tick`, it also runs that often between the scheduler's own ticks.
   */
  addJob(name: string, run: () => Promise<void>, options: { every?: number; tick?: number } = {}): void {
    const { every, tick } = options;
    let due = 0;
    const gated = async () => {
      if (every !== undefined) {
        if (this.deps.clock() < due) return "skipped" as const;
        due = this.deps.clock() + every;
      }
      await run();
      return "ran" as const;
    };
    this.jobs.push({
      name,
      run: gated,
      again: false,
      runs: 0,
      failures: 0,
      stuck: 0,
      ...(tick ? { tick } : {}),
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const job of this.jobs) {
      if (!job.tick) continue;
      const interval = setInterval(() => this.trigger(job), job.tick);
      interval.unref();
      this.intervals.add(interval);
    }
    this.loop = this.run();
  }

  /**
   * Stops ticking and waits for the runs in progress, at most `graceMs`: a run stuck on a call that
   * does not answer is abandoned (every step is in the store and conditional, so the next start
   * redoes only what was not stored).
   */
  async stop(graceMs = Infinity): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const interval of this.intervals) clearInterval(interval);
    this.intervals.clear();
    for (const { timer } of this.jobWakes.values()) clearTimeout(timer);
    this.jobWakes.clear();
    this.wakeUp?.();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      if (Number.isFinite(graceMs)) timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([
      (async () => {
        await this.loop;
        await Promise.all(this.jobs.map((job) => job.current));
      })(),
      grace,
    ]);
    clearTimeout(timer);
  }

  /** Runs the jobs now rather than at the next interval (a job already running runs again after). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Runs the jobs at this wall-clock time, e.g. when a coalescing window closes. */
  wakeAt(at: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.wake();
      },
      Math.max(0, at - this.deps.clock()),
    );
    timer.unref();
    this.timers.add(timer);
  }

  /**
   * Runs one job at this time, and only it (a distribution's status is due): its due time is met to
   * the millisecond rather than at the next tick, without waking every other job. A wake already set
   * for earlier stands; the job, once run, asks for its next.
   */
  wakeJobAt(name: string, at: number): void {
    const job = this.jobs.find((j) => j.name === name);
    if (!job || !this.running) return;
    const now = this.deps.clock();
    const pending = this.jobWakes.get(name);
    if (pending && pending.at <= at && pending.at >= now) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(
      () => {
        this.jobWakes.delete(name);
        if (this.running) this.trigger(job);
      },
      Math.max(0, at - now),
    );
    timer.unref();
    this.jobWakes.set(name, { at, timer });
  }

  private trigger(job: Job): void {
    if (job.current) {
      job.again = true;
      return;
    }
    job.again = false;
    job.current = this.runOnce(job).finally(() => {
      job.current = undefined;
      if (job.again && this.running) this.trigger(job);
    });
  }

  /**
   * One run of a job; a failure is logged and the job runs again at the next interval. A run that
   * outlasts `stuckAfterMs` is given up on (it may still finish in the background): a call that
   * never answers can hold up one run, never the job.
   */
  private async runOnce(job: Job): Promise<void> {
    const limit = this.deps.stuckAfterMs ?? Math.max(5 * this.deps.pollMs, 60_000);
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<"stuck">((resolve) => {
      timer = setTimeout(() => resolve("stuck"), limit);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([job.run(), stuck]);
      // Not due yet: nothing was looked at, so it is no run (tests count runs as "it looked").
      if (outcome === "skipped") return;
      if (outcome === "stuck") {
        job.stuck += 1;
        this.deps.logger.error("Scheduled job stuck; running it again on its next turn", {
          job: job.name,
          ms: limit,
        });
      }
    } catch (error) {
      job.failures += 1;
      this.deps.logger.error("Scheduled job failed", { job: job.name, error });
    } finally {
      clearTimeout(timer);
    }
    job.runs += 1;
    job.lastFinishedAt = this.deps.clock();
    // Tests and operators can tell "nothing happened" from "not looked yet" by these counts.
    this.deps.logger.debug("Scheduled job done", { job: job.name, runs: job.runs });
  }

  /** Each job's health: when its last run finished, how many runs failed or were given up as stuck. */
  health(): JobHealth[] {
    return this.jobs.map((j) => ({
      job: j.name,
      runs: j.runs,
      failures: j.failures,
      stuck: j.stuck,
      ...(j.lastFinishedAt !== undefined ? { lastFinishedAt: j.lastFinishedAt } : {}),
    }));
  }

  private async run(): Promise<void> {
    while (this.running) {
      const woken = new Promise<void>((resolve) => {
        this.wakeUp = resolve;
      });
      for (const job of this.jobs) this.trigger(job);
      await Promise.race([this.deps.sleep(this.deps.pollMs), woken]);
      this.wakeUp = undefined;
    }
  }
}
