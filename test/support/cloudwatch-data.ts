import { CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";

/** A CloudWatch client of the test bed's (through the strict layer, to moto's CloudWatch). */
export function testBedCloudWatch(url: string): CloudWatchClient {
  return new CloudWatchClient({
    region: "us-east-1",
    endpoint: url,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
}

/** Publishes datapoints of one CloudFront metric of a distribution, as CloudFront does (moto keeps them). */
export async function putDistributionMetric(
  cloudwatch: CloudWatchClient,
  distributionId: string,
  metric: string,
  points: [at: number, value: number][],
  unit = "None",
): Promise<void> {
  const data: MetricDatum[] = points.map(([at, value]) => ({
    MetricName: metric,
    Dimensions: [
      { Name: "DistributionId", Value: distributionId },
      { Name: "Region", Value: "Global" },
    ],
    Timestamp: new Date(at),
    Value: value,
    Unit: unit as MetricDatum["Unit"],
  }));
  await cloudwatch.send(new PutMetricDataCommand({ Namespace: "AWS/CloudFront", MetricData: data }));
}
