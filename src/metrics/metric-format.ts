import type { DistributionMetric } from "../aws/cloudwatch-metrics.js";
import { formatCount } from "../text/plain-text.js";

export const METRIC_LABEL: Record<DistributionMetric, string> = {
  Requests: "Requests",
  BytesDownloaded: "Bytes downloaded",
  "4xxErrorRate": "4xx error rate",
  "5xxErrorRate": "5xx error rate",
  TotalErrorRate: "Total error rate",
  CacheHitRate: "Cache hit rate",
  OriginLatency: "Origin latency",
};

export function formatMetricValue(metric: DistributionMetric, value: number): string {
  switch (metric) {
    case "Requests":
      return formatCount(Math.round(value));
    case "BytesDownloaded": {
      const units = ["B", "KB", "MB", "GB", "TB"];
      let v = value;
      let u = 0;
      while (v >= 1024 && u < units.length - 1) {
        v /= 1024;
        u++;
      }
      return `${v.toFixed(v >= 100 || u === 0 ? 0 : 1)} ${units[u]}`;
    }
    case "OriginLatency":
      return `${value.toFixed(0)} ms`;
    default:
      return `${value.toFixed(2)}%`;
  }
}

export function formatChange(changePercent: number | undefined, windowLabel: string): string {
  if (changePercent === undefined) return `no data for the previous ${windowLabel}`;
  const sign = changePercent > 0 ? "+" : changePercent < 0 ? "−" : "±";
  return `${sign}${Math.abs(changePercent).toFixed(0)}% vs the previous ${windowLabel}`;
}
