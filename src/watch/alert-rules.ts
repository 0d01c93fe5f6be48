import type { MetricPoint } from "../aws/cloudwatch-metrics.js";
import type { AlertState } from "../store/records.js";

export type AlertSettings = { minDatapoints: number; recoveryRatio: number; cooldown: number };

/** A breach or a recovery worth telling the watching channel. */
export type AlertNotice = { kind: "breach" | "recovery"; value: number };
export type AlertVerdict = { state: AlertState; notify?: AlertNotice };

/**
 * Hysteresis and a minimum of datapoints keep a flapping metric quiet: a breach needs the last N
 * datapoints at or above the threshold, a recovery the last N below threshold × recoveryRatio, and a
 * metric alerts at most once per cooldown.
 */
export function evaluateAlert(
  points: readonly MetricPoint[],
  threshold: number,
  state: AlertState,
  now: number,
  settings: AlertSettings,
): AlertVerdict {
  const recent = points.slice(-settings.minDatapoints);
  if (recent.length < settings.minDatapoints) return { state };
  const latest = recent.at(-1)!.value;
  if (state.state === "ok" && recent.every((p) => p.value >= threshold)) {
    if (state.lastAlertAt !== undefined && now - state.lastAlertAt < settings.cooldown) return { state };
    return {
      state: { ...state, state: "breached", since: now, lastAlertAt: now, lastValue: latest },
      notify: { kind: "breach", value: latest },
    };
  }
  if (state.state === "breached" && recent.every((p) => p.value < threshold * settings.recoveryRatio)) {
    return {
      state: { ...state, state: "ok", since: now, lastValue: latest },
      notify: { kind: "recovery", value: latest },
    };
  }
  return { state: { ...state, lastValue: latest } };
}
