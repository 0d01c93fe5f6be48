import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import type { RoleCredentials } from "./assumed-role.js";
import { type AwsTimeouts, awsClientTimeouts, DEFAULT_AWS_TIMEOUTS } from "./aws-timeouts.js";
import { type DistributionMetric, METRIC_STAT, type MetricSeries } from "./cloudwatch-metrics.js";

export interface CloudWatchGateway {
  /**
   * One GetMetricData call for all the metrics asked for; points oldest first. `likeDistributionId`
   * says in whose account, for a distribution the config does not name (a staging copy).
   */
  getDistributionMetrics(
    distributionId: string,
    metrics: readonly DistributionMetric[],
    range: { startMs: number; endMs: number; periodSeconds: number },
    likeDistributionId?: string,
  ): Promise<MetricSeries>;
}

export function createCloudWatchClient(
  timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS,
  credentials?: RoleCredentials,
): CloudWatchClient {
  // CloudFront publishes its metrics in us-east-1 only, whatever the edge.
  return new CloudWatchClient({
    region: "us-east-1",
    ...awsClientTimeouts(timeouts),
    ...(credentials ? { credentials } : {}),
  });
}

export function createCloudWatchGateway(
  client: CloudWatchClient = createCloudWatchClient(),
): CloudWatchGateway {
  return {
    async getDistributionMetrics(distributionId, metrics, range) {
      const queries: MetricDataQuery[] = metrics.map((metric, i) => ({
        Id: `m${i}`,
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: "AWS/CloudFront",
            MetricName: metric,
            Dimensions: [
              { Name: "DistributionId", Value: distributionId },
              { Name: "Region", Value: "Global" },
            ],
          },
          Period: range.periodSeconds,
          Stat: METRIC_STAT[metric],
        },
      }));
      const series: MetricSeries = {};
      let nextToken: string | undefined;
      do {
        const out = await client.send(
          new GetMetricDataCommand({
            StartTime: new Date(range.startMs),
            EndTime: new Date(range.endMs),
            MetricDataQueries: queries,
            ScanBy: "TimestampAscending",
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        for (const result of out.MetricDataResults ?? []) {
          const metric = metrics[Number(result.Id?.slice(1))];
          if (!metric) continue;
          const points = (result.Timestamps ?? []).map((t, i) => ({
            at: t.getTime(),
            value: result.Values?.[i] ?? 0,
          }));
          series[metric] = [...(series[metric] ?? []), ...points];
        }
        nextToken = out.NextToken;
      } while (nextToken);
      for (const metric of metrics) series[metric] = (series[metric] ?? []).sort((a, b) => a.at - b.at);
      return series;
    },
  };
}
