import { describeAwsError } from "../aws/aws-errors.js";
import type { CloudWatchGateway } from "../aws/cloudwatch-gateway.js";
import {
  DISTRIBUTION_METRICS,
  type DistributionMetric,
  METRIC_STAT,
  type MetricPoint,
} from "../aws/cloudwatch-metrics.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import { UserError } from "../errors.js";
import { type MetricWindow, parseWindow } from "./metric-window.js";

export type MetricSummary = {
  metric: DistributionMetric;
  /** The window's total for counts, its average for rates and latency; undefined without data. */
  current?: number;
  previous?: number;
  changePercent?: number;
  points: MetricPoint[];
};

export type StatsReport = {
  alias: string;
  distributionId: string;
  window: MetricWindow;
  endMs: number;
  summaries: MetricSummary[];
  /** No datapoint at all in either window: a new or idle distribution. */
  noData: boolean;
  /** Requests flow but CacheHitRate and OriginLatency are empty: additional metrics are off. */
  additionalMetricsOff: boolean;
};

export type StatsDeps = {
  directory: DistributionDirectory;
  cloudwatch: CloudWatchGateway;
  clock: () => number;
};

const ADDITIONAL: DistributionMetric[] = ["CacheHitRate", "OriginLatency"];

function aggregate(metric: DistributionMetric, points: MetricPoint[]): number | undefined {
  if (points.length === 0) return undefined;
  const sum = points.reduce((a, p) => a + p.value, 0);
  return METRIC_STAT[metric] === "Sum" ? sum : sum / points.length;
}

export function summarize(metric: DistributionMetric, points: MetricPoint[], splitAt: number): MetricSummary {
  const current = points.filter((p) => p.at >= splitAt);
  const previous = points.filter((p) => p.at < splitAt);
  const now = aggregate(metric, current);
  const before = aggregate(metric, previous);
  const summary: MetricSummary = { metric, points: current };
  if (now !== undefined) summary.current = now;
  if (before !== undefined) summary.previous = before;
  if (now !== undefined && before !== undefined && before !== 0)
    summary.changePercent = ((now - before) / before) * 100;
  return summary;
}

/** Reads this window and the one before with a single GetMetricData call. */
export async function readDistributionStats(
  deps: StatsDeps,
  nameOrId: string,
  windowText?: string,
): Promise<StatsReport> {
  const target = deps.directory.resolve(nameOrId);
  const window = parseWindow(windowText);
  const endMs = deps.clock();
  const splitAt = endMs - window.ms;
  let series: Awaited<ReturnType<CloudWatchGateway["getDistributionMetrics"]>>;
  try {
    series = await deps.cloudwatch.getDistributionMetrics(target.id, DISTRIBUTION_METRICS, {
      startMs: endMs - 2 * window.ms,
      endMs,
      periodSeconds: window.periodSeconds,
    });
  } catch (error) {
    throw new UserError(
      `I could not read CloudWatch metrics for ${target.alias}: ${describeAwsError(error).explanation}`,
    );
  }
  const summaries = DISTRIBUTION_METRICS.map((m) => summarize(m, series[m] ?? [], splitAt));
  const has = (m: DistributionMetric) => (series[m] ?? []).length > 0;
  return {
    alias: target.alias,
    distributionId: target.id,
    window,
    endMs,
    summaries,
    noData: DISTRIBUTION_METRICS.every((m) => !has(m)),
    additionalMetricsOff: has("Requests") && ADDITIONAL.every((m) => !has(m)),
  };
}
