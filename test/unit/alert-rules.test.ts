import { describe, expect, it } from "vitest";
import { sparkline } from "../../src/metrics/sparkline.js";
import type { AlertState } from "../../src/store/records.js";
import { evaluateAlert } from "../../src/watch/alert-rules.js";

const settings = { minDatapoints: 3, recoveryRatio: 0.8, cooldown: 15 * 60_000 };
const ok: AlertState = { version: 0, watchId: "w", metric: "5xxErrorRate", state: "ok", since: 0 };
const pts = (...values: number[]) => values.map((value, i) => ({ at: i * 60_000, value }));
const NOW = 10 * 60_000;

describe("evaluateAlert", () => {
  it("alerts once the last datapoints all reach the threshold", () => {
    const verdict = evaluateAlert(pts(1, 6, 7, 9), 5, ok, NOW, settings);
    expect(verdict.notify).toEqual({ kind: "breach", value: 9 });
    expect(verdict.state).toMatchObject({ state: "breached", lastAlertAt: NOW });
  });

  it.each([
    ["too few datapoints", pts(9, 9)],
    ["a flapping metric", pts(9, 0, 9, 0, 9)],
    ["a single spike", pts(0, 0, 50)],
  ])("stays quiet on %s", (_what, points) => {
    expect(evaluateAlert(points, 5, ok, NOW, settings).notify).toBeUndefined();
  });

  it("recovers only below threshold × ratio, not just under the threshold (hysteresis)", () => {
    const breached: AlertState = { ...ok, state: "breached", lastAlertAt: 0 };
    expect(evaluateAlert(pts(4.5, 4.2, 4.9), 5, breached, NOW, settings).notify).toBeUndefined();
    expect(evaluateAlert(pts(3.9, 1, 0), 5, breached, NOW, settings).notify).toEqual({
      kind: "recovery",
      value: 0,
    });
  });

  it("alerts at most once per cooldown, even after a recovery", () => {
    const recovered: AlertState = { ...ok, state: "ok", lastAlertAt: NOW - 5 * 60_000 };
    expect(evaluateAlert(pts(9, 9, 9), 5, recovered, NOW, settings).notify).toBeUndefined();
    expect(evaluateAlert(pts(9, 9, 9), 5, recovered, NOW + 10 * 60_000, settings).notify).toMatchObject({
      kind: "breach",
    });
  });

  it("says nothing new while a breach goes on", () => {
    const breached: AlertState = { ...ok, state: "breached", lastAlertAt: 0 };
    expect(evaluateAlert(pts(9, 9, 9), 5, breached, NOW, settings).notify).toBeUndefined();
  });
});

describe("sparkline", () => {
  it("scales a series between its own min and max", () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe("▁▂▃▄▅▆▇█");
    expect(sparkline([2, 2, 2])).toBe("▄▄▄");
    expect(sparkline([])).toBe("");
    expect(
      sparkline(
        Array.from({ length: 100 }, (_, i) => i),
        10,
      ),
    ).toHaveLength(10);
  });
});
