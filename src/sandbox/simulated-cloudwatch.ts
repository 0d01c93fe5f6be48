import type { CloudWatchGateway } from "../aws/cloudwatch-gateway.js";
import { type DistributionMetric, METRIC_STAT, type MetricSeries } from "../aws/cloudwatch-metrics.js";
import { awsError } from "./simulated-aws-errors.js";

/**
 * CloudFront's metrics in CloudWatch, made up but plausible, for the sandbox: traffic with a daily
 * rhythm and noise, a few per cent of 4xx, a fraction of a per cent of 5xx, a high cache hit rate.
 * The same distribution and minute always give the same values, as a metric store would. Like
 * CloudWatch, the newest minute is not there yet, and points are one a period, aligned to it.
 */

const MINUTE = 60_000;
/** CloudWatch publishes CloudFront's one-minute datapoints about a minute late. */
const PUBLISH_DELAY_MS = MINUTE;

/** An episode of errors the sandbox's panel caused: the metric is at `value` from `from` to `until`. */
export type Spike = { metric: "5xxErrorRate" | "4xxErrorRate"; value: number; from: number; until?: number };

/** A number in [0, 1) that depends only on its inputs. */
function noise(key: string, minute: number): number {
  let h = 2166136261;
  for (const c of `${key}:${minute}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return ((h >>> 0) % 100_000) / 100_000;
}

export class SimulatedCloudWatch implements CloudWatchGateway {
  private readonly spikes = new Map<string, Spike[]>();

  constructor(
    /** Requests a minute at the daily peak, by distribution id; unknown distributions have no data. */
    private readonly traffic: (distributionId: string) => number | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Starts an episode (backdate `from` to make it already minutes old). */
  spike(distributionId: string, spike: Spike): void {
    this.spikes.set(distributionId, [...(this.spikes.get(distributionId) ?? []), spike]);
  }

  /** Ends the distribution's open episodes at `at`. */
  recover(distributionId: string, at: number): void {
    for (const s of this.spikes.get(distributionId) ?? []) if (s.until === undefined) s.until = at;
  }

  /** The distribution's value of a metric over the minute starting at `minute` (ms). */
  valueAt(distributionId: string, metric: DistributionMetric, minute: number): number {
    const peak = this.traffic(distributionId) ?? 0;
    const hour = (minute / 3_600_000) % 24;
    // Busiest mid-afternoon UTC, quietest before dawn: a third of the peak.
    const rhythm = 0.66 + 0.34 * Math.sin(((hour - 9) / 24) * 2 * Math.PI);
    const requests = Math.round(peak * rhythm * (0.9 + 0.2 * noise(distributionId, minute)));
    const errorRate = (name: Spike["metric"], base: number, spread: number) => {
      // A minute during which an episode was under way shows it.
      const episode = (this.spikes.get(distributionId) ?? []).find(
        (s) =>
          s.metric === name && minute + MINUTE > s.from && minute < (s.until ?? Number.POSITIVE_INFINITY),
      );
      return episode ? episode.value : base + spread * noise(`${distributionId}:${name}`, minute);
    };
    switch (metric) {
      case "Requests":
        return requests;
      case "BytesDownloaded":
        return requests * Math.round(40_000 + 20_000 * noise(`${distributionId}:bytes`, minute));
      case "4xxErrorRate":
        return errorRate("4xxErrorRate", 1, 1.5);
      case "5xxErrorRate":
        return errorRate("5xxErrorRate", 0.05, 0.2);
      case "TotalErrorRate":
        return errorRate("4xxErrorRate", 1, 1.5) + errorRate("5xxErrorRate", 0.05, 0.2);
      case "CacheHitRate":
        return 88 + 8 * noise(`${distributionId}:hits`, minute);
      case "OriginLatency":
        return 60 + 90 * noise(`${distributionId}:latency`, minute);
    }
  }

  async getDistributionMetrics(
    distributionId: string,
    metrics: readonly DistributionMetric[],
    range: { startMs: number; endMs: number; periodSeconds: number },
  ): Promise<MetricSeries> {
    const periodMs = range.periodSeconds * 1000;
    if (periodMs < MINUTE || periodMs % MINUTE !== 0)
      throw awsError("InvalidParameterValue", "The period must be a multiple of 60 seconds.", 400);
    const series: MetricSeries = {};
    if (this.traffic(distributionId) === undefined) {
      // CloudWatch answers a query for a dimension it has no data for with empty series.
      for (const metric of metrics) series[metric] = [];
      return series;
    }
    const newest = this.clock() - PUBLISH_DELAY_MS;
    const first = Math.ceil(range.startMs / periodMs) * periodMs;
    for (const metric of metrics) {
      const points: { at: number; value: number }[] = [];
      for (let at = first; at + periodMs <= Math.min(range.endMs, newest) + 1; at += periodMs) {
        const minutes: number[] = [];
        for (let m = at; m < at + periodMs; m += MINUTE)
          minutes.push(this.valueAt(distributionId, metric, m));
        const sum = minutes.reduce((a, b) => a + b, 0);
        points.push({ at, value: METRIC_STAT[metric] === "Sum" ? sum : sum / minutes.length });
      }
      series[metric] = points;
    }
    return series;
  }
}
