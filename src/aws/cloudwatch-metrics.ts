/** CloudFront's metrics in CloudWatch (namespace AWS/CloudFront), by the names CloudWatch uses. */
export const DISTRIBUTION_METRICS = [
  "Requests",
  "BytesDownloaded",
  "4xxErrorRate",
  "5xxErrorRate",
  "TotalErrorRate",
  "CacheHitRate",
  "OriginLatency",
] as const;
export type DistributionMetric = (typeof DISTRIBUTION_METRICS)[number];

/** Counts add up over a window; rates and latencies are averaged. */
export const METRIC_STAT: Record<DistributionMetric, "Sum" | "Average"> = {
  Requests: "Sum",
  BytesDownloaded: "Sum",
  "4xxErrorRate": "Average",
  "5xxErrorRate": "Average",
  TotalErrorRate: "Average",
  CacheHitRate: "Average",
  OriginLatency: "Average",
};

export type MetricPoint = { at: number; value: number };
export type MetricSeries = Partial<Record<DistributionMetric, MetricPoint[]>>;
