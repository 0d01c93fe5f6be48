import type { MetricPoint, MetricSeries } from "../aws/cloudwatch-metrics.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { StagedFigures } from "../store/staged-run.js";

/** The metrics a soak compares, staging beside primary. */
export const SOAK_METRICS = ["5xxErrorRate", "4xxErrorRate", "OriginLatency"] as const;

export type SoakVerdict = { figures: StagedFigures; breach?: string };

type GateSettings = Pick<
  CdnbotConfig["staging"],
  "breachDatapoints" | "max5xxIncrease" | "max4xxIncrease" | "maxLatencyRatio"
>;

/**
 * Staging against primary, datapoint by datapoint: a metric breaches when the staging side is worse
 * by more than its margin in each of the last `breachDatapoints` minutes both sides published
 * (hysteresis: one bad minute is not a pull-back). A minute the primary has no datapoint for is
 * compared with an error rate of 0 (no requests, no errors) and skipped for latency.
 */
export function judgeSoak(
  staging: MetricSeries,
  primary: MetricSeries,
  settings: GateSettings,
  now: number,
): SoakVerdict {
  const latest = (points: MetricPoint[] | undefined) => points?.at(-1)?.value;
  const figures: StagedFigures = {
    at: now,
    "5xxErrorRate": sides(latest(staging["5xxErrorRate"]), latest(primary["5xxErrorRate"])),
    "4xxErrorRate": sides(latest(staging["4xxErrorRate"]), latest(primary["4xxErrorRate"])),
    OriginLatency: sides(latest(staging.OriginLatency), latest(primary.OriginLatency)),
  };
  const n = settings.breachDatapoints;
  const rate = (metric: "5xxErrorRate" | "4xxErrorRate", margin: number, label: string) => {
    const recent = (staging[metric] ?? []).slice(-n);
    if (recent.length < n) return undefined;
    const pairs = recent.map((p) => ({ s: p.value, p: valueAt(primary[metric], p.at) ?? 0 }));
    if (!pairs.every(({ s, p }) => s - p > margin)) return undefined;
    const last = pairs.at(-1)!;
    return `the staging ${label} rate was ${last.s.toFixed(2)}% against the primary's ${last.p.toFixed(2)}% (more than ${margin} ${margin === 1 ? "point" : "points"} worse for ${n} ${n === 1 ? "minute" : "minutes"} in a row)`;
  };
  const latency = () => {
    const recent = (staging.OriginLatency ?? []).slice(-n);
    if (recent.length < n) return undefined;
    const pairs = recent.map((p) => ({ s: p.value, p: valueAt(primary.OriginLatency, p.at) }));
    if (!pairs.every(({ s, p }) => p !== undefined && p > 0 && s > p * settings.maxLatencyRatio))
      return undefined;
    const last = pairs.at(-1)!;
    return `the staging origin latency was ${Math.round(last.s)} ms against the primary's ${Math.round(last.p ?? 0)} ms (more than ${settings.maxLatencyRatio}× for ${n} ${n === 1 ? "minute" : "minutes"} in a row)`;
  };
  const breach =
    rate("5xxErrorRate", settings.max5xxIncrease, "5xx") ??
    rate("4xxErrorRate", settings.max4xxIncrease, "4xx") ??
    latency();
  return breach ? { figures, breach } : { figures };
}

const sides = (staging: number | undefined, primary: number | undefined) => ({
  ...(staging !== undefined ? { staging } : {}),
  ...(primary !== undefined ? { primary } : {}),
});

function valueAt(points: MetricPoint[] | undefined, at: number): number | undefined {
  return points?.find((p) => p.at === at)?.value;
}
