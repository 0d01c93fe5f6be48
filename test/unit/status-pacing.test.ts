import { describe, expect, it } from "vitest";
import { FinishTimes, nextStatusAt } from "../../src/tracking/status-pacing.js";

const T = 1_800_000_000_000;

describe("status pacing", () => {
  it("asks every interval while nothing is known of the distribution", () => {
    expect(nextStatusAt(T, T, undefined, 10_000)).toBe(T + 10_000);
    expect(nextStatusAt(T + 120_000, T, undefined, 10_000)).toBe(T + 130_000);
  });

  it("is sparse before the fastest finish seen (less a fifth), and dense from there", () => {
    const fastest = 300_000; // may be done from 240 s on
    expect(nextStatusAt(T, T, fastest, 10_000)).toBe(T + 60_000);
    expect(nextStatusAt(T + 200_000, T, fastest, 10_000)).toBe(T + 240_000);
    expect(nextStatusAt(T + 235_000, T, fastest, 10_000)).toBe(T + 245_000);
  });

  it("asks every three intervals past half an hour", () => {
    expect(nextStatusAt(T + 31 * 60_000, T, 60_000, 10_000)).toBe(T + 31 * 60_000 + 30_000);
  });

  it("trusts a distribution's history after three finishes, and remembers the last twenty", () => {
    const times = new FinishTimes();
    times.record("E1", 50_000);
    times.record("E1", 70_000);
    expect(times.fastest("E1")).toBeUndefined();
    times.record("E1", 90_000);
    expect(times.fastest("E1")).toBe(50_000);
    for (let i = 0; i < 20; i++) times.record("E1", 100_000 + i);
    expect(times.fastest("E1")).toBe(100_000);
    expect(times.fastest("E2")).toBeUndefined();
  });
});
