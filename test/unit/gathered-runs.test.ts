import { describe, expect, it } from "vitest";
import { GatheredRuns } from "../../src/tracking/gathered-runs.js";

describe("GatheredRuns", () => {
  it("takes together what arrived while a run went on, at most `most` a run, one run at a time per key", async () => {
    const runs: string[][] = [];
    let running = 0;
    let overlapped = false;
    let release: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gathered = new GatheredRuns<string, string>(async (key, items) => {
      running += 1;
      overlapped ||= running > 1;
      runs.push(items);
      if (runs.length === 1) await firstHeld;
      running -= 1;
      return items.map((item) => `${key}:${item}`);
    }, 3);

    const first = gathered.add("k", "a");
    await Promise.resolve();
    const rest = ["b", "c", "d", "e"].map((item) => gathered.add("k", item));
    release();

    expect(await Promise.all([first, ...rest])).toEqual(["k:a", "k:b", "k:c", "k:d", "k:e"]);
    expect(runs).toEqual([["a"], ["b", "c", "d"], ["e"]]);
    expect(overlapped).toBe(false);
  });

  it("fails only the item answered with an Error, and all of a run that throws; the next run still goes", async () => {
    let throwNext = false;
    const gathered = new GatheredRuns<string, string>(async (_key, items) => {
      if (throwNext) {
        throwNext = false;
        throw new Error("store down");
      }
      return items.map((item) => (item === "bad" ? new Error(`no ${item}`) : item));
    }, 10);

    const answers = await Promise.allSettled([gathered.add("k", "good"), gathered.add("k", "bad")]);
    expect(answers.map((a) => (a.status === "fulfilled" ? a.value : String(a.reason)))).toEqual([
      "good",
      "Error: no bad",
    ]);
    throwNext = true;
    await expect(gathered.add("k", "x")).rejects.toThrow("store down");
    await expect(gathered.add("k", "y")).resolves.toBe("y");
  });
});
