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
});
