import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CloudFrontClient,
  CreateInvalidationCommand,
  CreateRealtimeLogConfigCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
  ListRealtimeLogConfigsCommand,
  UpdateDistributionCommand,
  UpdateRealtimeLogConfigCommand,
} from "@aws-sdk/client-cloudfront";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { createCloudFrontGateway } from "../../src/aws/cloudfront-gateway.js";
import { createCloudWatchGateway } from "../../src/aws/cloudwatch-gateway.js";
import { IAM_STATEMENTS, iamPolicyDocument } from "../../src/aws/iam-policy.js";

const root = join(import.meta.dirname, "..", "..");

/** Calls every gateway method and returns the IAM action of every command that reached the client. */
async function actionsTheGatewaysSend(): Promise<string[]> {
  const cf = mockClient(CloudFrontClient);
  const cw = mockClient(CloudWatchClient);
  const inv = {
    Id: "I1",
    Status: "Completed",
    InvalidationBatch: { CallerReference: "r", Paths: { Quantity: 0 } },
  };
  cf.on(GetDistributionCommand).resolves({ Distribution: { Id: "E1" } as never });
  cf.on(CreateInvalidationCommand).resolves({ Invalidation: inv as never });
  cf.on(GetInvalidationCommand).resolves({ Invalidation: inv as never });
  cf.on(ListInvalidationsCommand).resolves({ InvalidationList: { Items: [] } as never });
  cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: {} as never, ETag: "E" });
  cf.on(UpdateDistributionCommand).resolves({});
  cf.on(ListRealtimeLogConfigsCommand).resolves({});
  cf.on(CreateRealtimeLogConfigCommand).resolves({});
  cf.on(UpdateRealtimeLogConfigCommand).resolves({});
  cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  const gateway = createCloudFrontGateway(new CloudFrontClient({ region: "us-east-1" }));
  const input = { name: "n", samplingRate: 1, fields: ["a"], streamArn: "s", roleArn: "r" };
  await gateway.getDistribution("E1");
  await gateway.createInvalidation("E1", ["/a"], "ref");
  await gateway.getInvalidation("E1", "I1");
  await gateway.listInvalidations("E1");
  await gateway.getDistributionConfig("E1");
  await gateway.updateDistribution("E1", {} as never, "E");
  await gateway.listRealtimeLogConfigs();
  await gateway.createRealtimeLogConfig(input);
  await gateway.updateRealtimeLogConfig(input);
  await createCloudWatchGateway(new CloudWatchClient({ region: "us-east-1" })).getDistributionMetrics(
    "E1",
    ["Requests"],
    { startMs: 0, endMs: 1, periodSeconds: 60 },
  );
  const names = [
    ...cf.calls().map((c) => `cloudfront:${c.args[0].constructor.name.replace(/Command$/, "")}`),
    ...cw.calls().map((c) => `cloudwatch:${c.args[0].constructor.name.replace(/Command$/, "")}`),
  ];
  cf.restore();
  cw.restore();
  return [...new Set(names)].sort();
}

describe("the IAM policy written in the code", () => {
  it("grants exactly the calls the gateways make, plus iam:PassRole for real-time logs' role", async () => {
    const granted = IAM_STATEMENTS.flatMap((s) => s.actions);
    expect(granted.filter((a) => !a.startsWith("iam:")).sort()).toEqual(await actionsTheGatewaysSend());
    expect(granted).toContain("iam:PassRole");
  });

  it("is the policy the README shows", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    const shown = /<!-- iam-policy -->\s*```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBeDefined();
    expect(JSON.parse(shown!)).toEqual(
      iamPolicyDocument({ accountId: "123456789012", distributionIds: ["E2EXAMPLE123"] }),
    );
  });
});
