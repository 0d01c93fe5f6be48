import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createCloudWatchGateway } from "../../src/aws/cloudwatch-gateway.js";
import { parseConfig } from "../../src/config/load-config.js";
import { DistributionDirectory } from "../../src/directory/distribution-directory.js";
import { readDistributionStats, summarize } from "../../src/metrics/distribution-stats.js";

const cw = mockClient(CloudWatchClient);
const config = parseConfig("distributions:\n  web:\n    id: E2EXAMPLE123\n", "x");
const NOW = Date.UTC(2026, 10, 24, 12);
const deps = () => ({
  directory: new DistributionDirectory(config),
  cloudwatch: createCloudWatchGateway(new CloudWatchClient({ region: "us-east-1" })),
  clock: () => NOW,
});

beforeEach(() => cw.reset());

describe("readDistributionStats", () => {
  it("asks CloudWatch once, in AWS/CloudFront with DistributionId and Region=Global, for both windows", async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const report = await readDistributionStats(deps(), "web", "6h");
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.StartTime).toEqual(new Date(NOW - 12 * 3_600_000));
    expect(input.MetricDataQueries).toHaveLength(7);
    expect(input.MetricDataQueries?.[0]?.MetricStat).toMatchObject({
      Metric: {
        Namespace: "AWS/CloudFront",
        MetricName: "Requests",
        Dimensions: [
          { Name: "DistributionId", Value: "E2EXAMPLE123" },
          { Name: "Region", Value: "Global" },
        ],
      },
      Period: 300,
      Stat: "Sum",
    });
    expect(report.noData).toBe(true);
  });

  it("explains missing permissions instead of showing zeros", async () => {
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error("not authorized"), { name: "AccessDenied", $metadata: {} }),
    );
    await expect(readDistributionStats(deps(), "web")).rejects.toThrow(
      /^I could not read CloudWatch metrics for web: AWS refused: the bot's IAM identity is not allowed/,
    );
  });

  it("refuses a distribution that is not configured before asking AWS", async () => {
    await expect(readDistributionStats(deps(), "shop")).rejects.toThrow(
      /`shop` is not a distribution I know/,
    );
    expect(cw).not.toHaveReceivedCommand(GetMetricDataCommand);
  });
});

describe("summarize", () => {
  const points = [
    { at: 0, value: 10 },
    { at: 1, value: 20 },
    { at: 2, value: 30 },
    { at: 3, value: 50 },
  ];
  it("adds counts and averages rates, each window on its own", () => {
    expect(summarize("Requests", points, 2)).toMatchObject({
      current: 80,
      previous: 30,
      changePercent: ((80 - 30) / 30) * 100,
    });
    expect(summarize("5xxErrorRate", points, 2)).toMatchObject({ current: 40, previous: 15 });
    expect(summarize("5xxErrorRate", [], 2)).toEqual({ metric: "5xxErrorRate", points: [] });
  });
});
