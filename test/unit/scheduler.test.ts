import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../src/logger.js";
import { Scheduler } from "../../src/tracking/scheduler.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A scheduler whose own tick never comes round (its sleep never ends): only `tick` and wakes run jobs. */
function stalledScheduler() {
  return new Scheduler({
    pollMs: 20_000,
    sleep: () => new Promise<void>(() => undefined),
    clock: () => Date.now(),
    logger: silentLogger,
  });
}

describe("the scheduler", () => {
  it("runs a job with its own tick between the scheduler's ticks, and the others only at them", async () => {
    const scheduler = stalledScheduler();
    const runs = { quick: 0, slow: 0 };
    scheduler.addJob("quick", async () => void runs.quick++, { tick: 2_000 });
    scheduler.addJob("slow", async () => void runs.slow++);
    scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual({ quick: 1, slow: 1 }); // the first tick runs every job

    await vi.advanceTimersByTimeAsync(6_000);
    expect(runs).toEqual({ quick: 4, slow: 1 });

    const stopping = scheduler.stop();
    await vi.advanceTimersByTimeAsync(0);
    await stopping;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs.quick).toBe(4); // stopped: its tick is gone too
  });

  it("wakes one job at the time it asks for, to the millisecond, and no other job", async () => {
    const scheduler = stalledScheduler();
    const runs = { poll: 0, other: 0 };
    scheduler.addJob("poll", async () => void runs.poll++);
    scheduler.addJob("other", async () => void runs.other++);
    scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    const start = Date.now();
    scheduler.wakeJobAt("poll", start + 3_000);
    scheduler.wakeJobAt("poll", start + 5_000); // a later ask waits behind the earlier one
    await vi.advanceTimersByTimeAsync(2_999);
    expect(runs).toEqual({ poll: 1, other: 1 });
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual({ poll: 2, other: 1 });
    scheduler.wakeJobAt("poll", start + 8_000);
    scheduler.wakeJobAt("poll", start + 4_000); // an earlier one replaces it
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual({ poll: 3, other: 1 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toEqual({ poll: 3, other: 1 });
    const stopping = scheduler.stop();
    await vi.advanceTimersByTimeAsync(0);
    await stopping;
  });

  it("gives up on a run that never finishes, runs the job again, and keeps every other job going", async () => {
    const scheduler = new Scheduler({
      pollMs: 1_000,
      stuckAfterMs: 5_000,
      sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
      clock: () => Date.now(),
      logger: silentLogger,
    });
    let hungStarts = 0;
    let failingRuns = 0;
    let healthyRuns = 0;
    // The first run waits on a call that never answers; later runs finish.
    scheduler.addJob("hangs", () =>
      ++hungStarts === 1 ? new Promise<void>(() => undefined) : Promise.resolve(),
    );
    scheduler.addJob("throws", async () => {
      failingRuns++;
      throw new Error("CloudFront said no");
    });
    scheduler.addJob("healthy", async () => void healthyRuns++);
    scheduler.start();

    await vi.advanceTimersByTimeAsync(4_500);
    expect(hungStarts).toBe(1); // still waiting on the stuck run: it never overlaps itself before the limit
    expect(healthyRuns).toBeGreaterThanOrEqual(4);
    await vi.advanceTimersByTimeAsync(2_000);

    expect(hungStarts).toBeGreaterThanOrEqual(2);
    expect(failingRuns).toBeGreaterThanOrEqual(6);
    const health = Object.fromEntries(scheduler.health().map((h) => [h.job, h]));
    expect(health.hangs).toMatchObject({ stuck: 1, failures: 0 });
    expect(health.throws?.failures).toBe(failingRuns);
    expect(health.healthy?.lastFinishedAt).toBeGreaterThan(Date.now() - 1_500);
    const stopping = scheduler.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    await stopping;
  });
});
