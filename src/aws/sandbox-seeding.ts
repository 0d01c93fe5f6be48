import {
  CloudFrontClient,
  CreateDistributionCommand,
  type DistributionConfig,
} from "@aws-sdk/client-cloudfront";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { type AwsTimeouts, awsClientTimeouts } from "./aws-timeouts.js";
import { CLOUDFRONT_REGION } from "./cloudfront-gateway.js";
import type { DistributionMetric } from "./cloudwatch-metrics.js";

/**
 * What `npm run sandbox -- --moto` writes into moto_server before the bot starts: the demo
 * distributions and their metrics. Never used against AWS, and not part of the bot's IAM policy:
 * the bot itself only reads.
 */
export type SandboxSeeding = {
  createDistribution(config: DistributionConfig): Promise<string>;
  putMetrics(
    distributionId: string,
    points: { metric: DistributionMetric; at: number; value: number }[],
  ): Promise<void>;
};

/** moto refuses PutMetricData requests much past this many datums (AWS allows 1,000). */
const DATUMS_PER_CALL = 20;
const CALLS_AT_ONCE = 4;

export function createSandboxSeeding(timeouts: AwsTimeouts): SandboxSeeding {
  const cloudfront = new CloudFrontClient({ region: CLOUDFRONT_REGION, ...awsClientTimeouts(timeouts) });
  const cloudwatch = new CloudWatchClient({ region: "us-east-1", ...awsClientTimeouts(timeouts) });
  return {
    async createDistribution(config) {
      const out = await cloudfront.send(new CreateDistributionCommand({ DistributionConfig: config }));
      if (!out.Distribution?.Id) throw new Error("CreateDistribution returned no id");
      return out.Distribution.Id;
    },
    async putMetrics(distributionId, points) {
      const batches: (typeof points)[] = [];
      for (let i = 0; i < points.length; i += DATUMS_PER_CALL)
        batches.push(points.slice(i, i + DATUMS_PER_CALL));
      const send = async (batch: typeof points) =>
        cloudwatch.send(
          new PutMetricDataCommand({
            Namespace: "AWS/CloudFront",
            MetricData: batch.map((p) => ({
              MetricName: p.metric,
              Dimensions: [
                { Name: "DistributionId", Value: distributionId },
                { Name: "Region", Value: "Global" },
              ],
              Timestamp: new Date(p.at),
              Value: p.value,
            })),
          }),
        );
      for (let i = 0; i < batches.length; i += CALLS_AT_ONCE)
        await Promise.all(batches.slice(i, i + CALLS_AT_ONCE).map(send));
    },
  };
}
