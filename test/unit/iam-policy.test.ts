import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AssociateDistributionTenantWebACLCommand,
  AssociateDistributionWebACLCommand,
  CloudFrontClient,
  CopyDistributionCommand,
  CreateCachePolicyCommand,
  CreateContinuousDeploymentPolicyCommand,
  CreateDistributionCommand,
  CreateInvalidationCommand,
  CreateInvalidationForDistributionTenantCommand,
  CreateRealtimeLogConfigCommand,
  CreateResponseHeadersPolicyCommand,
  DeleteDistributionCommand,
  DisassociateDistributionTenantWebACLCommand,
  DisassociateDistributionWebACLCommand,
  GetCachePolicyConfigCommand,
  GetContinuousDeploymentPolicyConfigCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  GetDistributionTenantByDomainCommand,
  GetDistributionTenantCommand,
  GetInvalidationCommand,
  GetInvalidationForDistributionTenantCommand,
  GetResponseHeadersPolicyConfigCommand,
  ListCachePoliciesCommand,
  ListDistributionsByCachePolicyIdCommand,
  ListDistributionsByResponseHeadersPolicyIdCommand,
  ListDistributionsCommand,
  ListDistributionTenantsCommand,
  ListInvalidationsCommand,
  ListRealtimeLogConfigsCommand,
  ListResponseHeadersPoliciesCommand,
  ListTagsForResourceCommand,
  UpdateCachePolicyCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionCommand,
  UpdateDistributionTenantCommand,
  UpdateDistributionWithStagingConfigCommand,
  UpdateRealtimeLogConfigCommand,
  UpdateResponseHeadersPolicyCommand,
} from "@aws-sdk/client-cloudfront";
import {
  CloudFrontKeyValueStoreClient,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  ListKeysCommand,
  UpdateKeysCommand,
} from "@aws-sdk/client-cloudfront-keyvaluestore";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CloudWatchLogsClient,
  CreateDeliveryCommand,
  DeleteDeliveryCommand,
  DescribeDeliveriesCommand,
  GetDeliveryDestinationCommand,
  GetDeliverySourceCommand,
  GetQueryResultsCommand,
  PutDeliveryDestinationCommand,
  PutDeliverySourceCommand,
  StartQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { createAccessLogGateway } from "../../src/aws/access-log-calls.js";
import { createCloudFrontGateway } from "../../src/aws/cloudfront-gateway.js";
import { createCloudWatchGateway } from "../../src/aws/cloudwatch-gateway.js";
import { IAM_STATEMENTS, iamPolicyDocument } from "../../src/aws/iam-policy.js";

const root = join(import.meta.dirname, "..", "..");

/** Calls every gateway method and returns the IAM action of every command that reached the client. */
async function actionsTheGatewaysSend(): Promise<string[]> {
  const cf = mockClient(CloudFrontClient);
  const cw = mockClient(CloudWatchClient);
  const kvs = mockClient(CloudFrontKeyValueStoreClient);
  kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: "K1", ItemCount: 0, TotalSizeInBytes: 0 });
  kvs.on(GetKeyCommand).resolves({ Key: "k", Value: "v" });
  kvs.on(ListKeysCommand).resolves({ Items: [] });
  kvs.on(UpdateKeysCommand).resolves({ ETag: "K2" });
  const inv = {
    Id: "I1",
    Status: "Completed",
    InvalidationBatch: { CallerReference: "r", Paths: { Quantity: 0 } },
  };
  cf.on(GetDistributionCommand).resolves({
    Distribution: { Id: "E1", ARN: "arn:aws:cloudfront::123456789012:distribution/E1" } as never,
  });
  cf.on(ListTagsForResourceCommand).resolves({
    Tags: { Items: [{ Key: "managed-by", Value: "terraform" }] },
  });
  cf.on(AssociateDistributionWebACLCommand).resolves({ ETag: "E2" });
  cf.on(ListDistributionTenantsCommand).resolves({ DistributionTenantList: [] });
  cf.on(CreateInvalidationForDistributionTenantCommand).resolves({ Invalidation: inv as never });
  cf.on(GetInvalidationForDistributionTenantCommand).resolves({ Invalidation: inv as never });
  cf.on(GetDistributionTenantCommand).resolves({ DistributionTenant: { Id: "DT1" } as never, ETag: "E" });
  cf.on(UpdateDistributionTenantCommand).resolves({ ETag: "E2" });
  cf.on(AssociateDistributionTenantWebACLCommand).resolves({ ETag: "E2" });
  cf.on(DisassociateDistributionTenantWebACLCommand).resolves({ ETag: "E3" });
  cf.on(GetDistributionTenantByDomainCommand).resolves({ DistributionTenant: { Id: "DT1" } as never });
  cf.on(DisassociateDistributionWebACLCommand).resolves({ ETag: "E3" });
  cf.on(CreateInvalidationCommand).resolves({ Invalidation: inv as never });
  cf.on(GetInvalidationCommand).resolves({ Invalidation: inv as never });
  cf.on(ListInvalidationsCommand).resolves({ InvalidationList: { Items: [] } as never });
  cf.on(GetDistributionConfigCommand).resolves({ DistributionConfig: {} as never, ETag: "E" });
  cf.on(UpdateDistributionCommand).resolves({});
  cf.on(CreateDistributionCommand).resolves({ Distribution: { Id: "E2" } as never });
  cf.on(ListDistributionsCommand).resolves({});
  cf.on(DeleteDistributionCommand).resolves({});
  cf.on(GetCachePolicyConfigCommand).resolves({ CachePolicyConfig: {} as never, ETag: "E" });
  cf.on(UpdateCachePolicyCommand).resolves({});
  cf.on(CreateCachePolicyCommand).resolves({ CachePolicy: { Id: "P2" } as never });
  cf.on(ListResponseHeadersPoliciesCommand).resolves({});
  cf.on(GetResponseHeadersPolicyConfigCommand).resolves({
    ResponseHeadersPolicyConfig: {} as never,
    ETag: "E",
  });
  cf.on(UpdateResponseHeadersPolicyCommand).resolves({});
  cf.on(CreateResponseHeadersPolicyCommand).resolves({ ResponseHeadersPolicy: { Id: "H2" } as never });
  cf.on(ListDistributionsByResponseHeadersPolicyIdCommand).resolves({});
  cf.on(ListCachePoliciesCommand).resolves({});
  cf.on(ListDistributionsByCachePolicyIdCommand).resolves({});
  cf.on(ListRealtimeLogConfigsCommand).resolves({});
  cf.on(CreateRealtimeLogConfigCommand).resolves({});
  cf.on(UpdateRealtimeLogConfigCommand).resolves({});
  cf.on(CopyDistributionCommand).resolves({ Distribution: { Id: "E3" } as never, ETag: "E" });
  cf.on(CreateContinuousDeploymentPolicyCommand).resolves({
    ContinuousDeploymentPolicy: { Id: "C1" } as never,
  });
  cf.on(GetContinuousDeploymentPolicyConfigCommand).resolves({
    ContinuousDeploymentPolicyConfig: {} as never,
    ETag: "E",
  });
  cf.on(UpdateContinuousDeploymentPolicyCommand).resolves({ ETag: "E2" });
  cf.on(UpdateDistributionWithStagingConfigCommand).resolves({ ETag: "E2" });
  cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  const gateway = createCloudFrontGateway(
    new CloudFrontClient({ region: "us-east-1" }),
    new CloudFrontKeyValueStoreClient({ region: "us-east-1" }),
  );
  const store = "arn:aws:cloudfront::123456789012:key-value-store/k1";
  await gateway.describeKeyValueStore(store);
  await gateway.getKey(store, "k");
  await gateway.listKeys(store);
  await gateway.updateKeys(store, [{ key: "k", value: "v" }], [], "K1");
  const input = { name: "n", samplingRate: 1, fields: ["a"], streamArn: "s", roleArn: "r" };
  await gateway.getDistribution("E1");
  expect(await gateway.getDistributionTags("E1")).toEqual({ "managed-by": "terraform" });
  await gateway.createInvalidation("E1", ["/a"], "ref");
  await gateway.getInvalidation("E1", "I1");
  await gateway.listInvalidations("E1");
  await gateway.getDistributionConfig("E1");
  await gateway.updateDistribution("E1", {} as never, "E");
  await gateway.createDistribution({} as never, "E1");
  await gateway.listDistributions("E1");
  await gateway.deleteDistribution("E2", "E");
  await gateway.setDistributionWebAcl("E1", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/a/b", "E");
  await gateway.setDistributionWebAcl("E1", null, "E");
  await gateway.listDistributionTenants("E1");
  await gateway.getDistributionTenant("acme", "E1");
  await gateway.getDistributionTenantByDomain("acme.example.com", "E1");
  await gateway.createTenantInvalidation("DT1", ["/a"], "ref", "E1");
  await gateway.getTenantInvalidation("DT1", "I1", "E1");
  await gateway.getTenantDocument("DT1", "E1");
  await gateway.updateDistributionTenant(
    "DT1",
    {
      Name: "acme",
      DistributionId: "E1",
      Domains: ["a.example"],
      Enabled: true,
      Parameters: {},
      WebACLArn: "",
    },
    "E",
    "E1",
  );
  await gateway.setTenantWebAcl("DT1", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/a/b", "E", "E1");
  await gateway.setTenantWebAcl("DT1", null, "E", "E1");
  await gateway.getCachePolicyConfig("P1", "E1");
  await gateway.updateCachePolicy("P1", {} as never, "E", "E1");
  await gateway.listManagedCachePolicyIds("E1");
  await gateway.createCachePolicy({} as never, "E1");
  await gateway.findCustomCachePolicy("n", "E1");
  await gateway.listResponseHeadersPolicies("E1");
  await gateway.getResponseHeadersPolicyConfig("H1", "E1");
  await gateway.updateResponseHeadersPolicy("H1", {} as never, "E", "E1");
  await gateway.createResponseHeadersPolicy({} as never, "E1");
  await gateway.listDistributionsByResponseHeadersPolicy("H1", "E1");
  await gateway.listDistributionsByCachePolicy("P1", "E1");
  await gateway.copyToStaging("E1", "ref", "E");
  await gateway.createContinuousDeploymentPolicy({} as never, "E1");
  await gateway.getContinuousDeploymentPolicy("C1", "E1");
  await gateway.updateContinuousDeploymentPolicy("C1", {} as never, "E", "E1");
  await gateway.promoteStagingConfig("E1", "E3", "E, E");
  await gateway.listRealtimeLogConfigs();
  await gateway.createRealtimeLogConfig(input);
  await gateway.updateRealtimeLogConfig(input);
  await createCloudWatchGateway(new CloudWatchClient({ region: "us-east-1" })).getDistributionMetrics(
    "E1",
    ["Requests"],
    { startMs: 0, endMs: 1, periodSeconds: 60 },
  );
  const s3 = mockClient(S3Client);
  const cwl = mockClient(CloudWatchLogsClient);
  s3.on(ListObjectsV2Command).resolves({ Contents: [] });
  s3.on(GetObjectCommand).resolves({});
  s3.on(GetBucketOwnershipControlsCommand).resolves({});
  s3.on(GetBucketAclCommand).resolves({ Grants: [] });
  cwl.on(DescribeDeliveriesCommand).resolves({
    deliveries: [
      {
        id: "d1",
        deliverySourceName: "src",
        deliveryDestinationArn: "arn:aws:logs:us-east-1:1:delivery-destination:dst",
      },
    ],
  });
  cwl.on(GetDeliverySourceCommand).resolves({
    deliverySource: { logType: "ACCESS_LOGS", resourceArns: ["arn:aws:cloudfront::1:distribution/E1"] },
  });
  cwl.on(GetDeliveryDestinationCommand).resolves({ deliveryDestination: {} });
  cwl.on(PutDeliverySourceCommand).resolves({});
  cwl.on(PutDeliveryDestinationCommand).resolves({ deliveryDestination: { arn: "arn:d" } });
  cwl.on(CreateDeliveryCommand).resolves({ delivery: { id: "d2" } });
  cwl.on(DeleteDeliveryCommand).resolves({});
  cwl.on(StartQueryCommand).resolves({ queryId: "q1" });
  cwl.on(GetQueryResultsCommand).resolves({ status: "Complete", results: [] });
  const logs = createAccessLogGateway(
    new S3Client({ region: "us-east-1" }),
    new CloudWatchLogsClient({ region: "us-east-1" }),
  );
  await logs.listLogObjects("logs", { prefix: "cf/" });
  await logs.bucketOwnership("logs");
  await logs.bucketAclGrants("logs");
  await logs.openLogObject("logs", "cf/a.gz");
  expect(await logs.listAccessLogDeliveries("E1")).toHaveLength(1);
  await logs.createAccessLogDelivery({
    distributionArn: "arn:aws:cloudfront::1:distribution/E1",
    sourceName: "src",
    destinationName: "dst",
    destinationArn: "arn:aws:s3:::logs",
    format: "w3c",
  });
  await logs.deleteAccessLogDelivery("d1");
  await logs.queryLogGroup("/cdn/web", { startMs: 0, endMs: 1 }, "stats count(*)");
  const names = [
    ...s3
      .calls()
      .map(
        (c) =>
          `s3:${c.args[0].constructor.name.replace(/Command$/, "").replace("ListObjectsV2", "ListBucket")}`,
      ),
    ...cwl.calls().map((c) => `logs:${c.args[0].constructor.name.replace(/Command$/, "")}`),
    ...cf.calls().map((c) => `cloudfront:${c.args[0].constructor.name.replace(/Command$/, "")}`),
    ...cw.calls().map((c) => `cloudwatch:${c.args[0].constructor.name.replace(/Command$/, "")}`),
    ...kvs
      .calls()
      .map((c) => `cloudfront-keyvaluestore:${c.args[0].constructor.name.replace(/Command$/, "")}`),
  ];
  kvs.restore();
  s3.restore();
  cwl.restore();
  cf.restore();
  cw.restore();
  return [...new Set(names)].sort();
}

describe("the IAM policy written in the code", () => {
  it("grants exactly the calls the gateways make, plus what CloudFront does as the bot", async () => {
    const granted = [...new Set(IAM_STATEMENTS.flatMap((s) => s.actions))];
    // iam:PassRole for real-time logs' delivery role; the S3 bucket ACL calls CloudFront makes as
    // the caller when access logging is turned on.
    // CloudWatch Logs, making a logging v2 delivery, checks the distribution and sets the bucket's
    // policy or the account's log resource policy as the caller.
    const onItsBehalf = [
      "iam:PassRole",
      "s3:PutBucketAcl",
      "wafv2:GetWebACL",
      "cloudfront:AllowVendedLogDeliveryForResource",
      "s3:GetBucketPolicy",
      "s3:PutBucketPolicy",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ];
    expect(granted.filter((a) => !onItsBehalf.includes(a)).sort()).toEqual(await actionsTheGatewaysSend());
    expect(granted).toEqual(expect.arrayContaining(onItsBehalf));
  });

  it("grants reading the listed web ACLs only, and none without a list", () => {
    const acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/block-bots/a1b2";
    const statementOf = (doc: object) =>
      (doc as { Statement: { Sid: string; Resource: unknown }[] }).Statement.find((s) => s.Sid === "WebACLs");
    expect(
      statementOf(iamPolicyDocument({ accountId: "123456789012", distributionIds: ["E2EXAMPLE123"] })),
    ).toBeUndefined();
    expect(
      statementOf(
        iamPolicyDocument({ accountId: "123456789012", distributionIds: ["E2EXAMPLE123"], webAcls: [acl] }),
      ),
    ).toMatchObject({ Resource: [acl] });
  });

  it("grants making and deleting environments on the account's distributions only with templates", () => {
    const sids = (environments: boolean) =>
      (
        iamPolicyDocument({ accountId: "123456789012", distributionIds: ["E2EXAMPLE123"], environments }) as {
          Statement: { Sid: string; Resource: unknown }[];
        }
      ).Statement.filter((s) => s.Sid.startsWith("Environment"));
    expect(sids(false)).toEqual([]);
    expect(sids(true)).toEqual([
      expect.objectContaining({
        Sid: "Environmentdistributions",
        Resource: "arn:aws:cloudfront::123456789012:distribution/*",
      }),
      expect.objectContaining({ Sid: "Environmentdistributionslisting", Resource: "*" }),
    ]);
  });

  it("grants the bucket ACL calls on the listed log buckets only, and none without a list", () => {
    const statementOf = (doc: object) =>
      (doc as { Statement: { Sid: string; Resource: unknown }[] }).Statement.find(
        (s) => s.Sid === "Accesslogs",
      );
    const without = iamPolicyDocument({ accountId: "123456789012", distributionIds: ["E2EXAMPLE123"] });
    expect(statementOf(without)).toBeUndefined();
    const listed = iamPolicyDocument({
      accountId: "123456789012",
      distributionIds: ["E2EXAMPLE123"],
      logBuckets: ["security-logs"],
    });
    expect(statementOf(listed)).toMatchObject({ Resource: ["arn:aws:s3:::security-logs"] });
  });

  it("is the policy docs/aws-permissions.md shows", async () => {
    const readme = await readFile(join(root, "docs", "aws-permissions.md"), "utf8");
    const shown = /<!-- iam-policy -->\s*```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBeDefined();
    expect(JSON.parse(shown!)).toEqual(
      iamPolicyDocument({ accountId: "123456789012", distributionIds: ["E2EXAMPLE123"] }),
    );
  });
});

describe("npm run iam-policy", () => {
  const run = (args: string[], config: string) => {
    const dir = mkdtempSync(join(tmpdir(), "cdnbot-iam-"));
    writeFileSync(join(dir, "cdnbot.yml"), config);
    return spawnSync(process.execPath, ["--import", "tsx", "src/main.ts", "iam-policy", ...args], {
      env: { PATH: process.env.PATH ?? "", CDNBOT_CONFIG: join(dir, "cdnbot.yml") },
      encoding: "utf8",
    });
  };

  it("prints the policy for the configured distributions, without the features left out", () => {
    const out = run(
      ["--account", "111122223333", "--without", "realtime-logs,metrics"],
      "distributions:\n  web:\n    id: E2EXAMPLE123\n  shop:\n    id: E3SHOPEXAMPLE\n",
    );

    expect(out.status).toBe(0);
    const policy = JSON.parse(out.stdout) as {
      Statement: { Sid: string; Action: string[]; Resource: unknown }[];
    };
    expect(policy.Statement.map((s) => s.Sid)).toEqual([
      "Purgesandstatus",
      "Tenantslisting",
      "Tenants",
      "Tenantchanges",
      "Distributionchanges",
      "Cachepolicychanges",
      "Cachepolicychangesblastradius",
      "Accesslogdeliverieslisting",
      "Accesslogdeliveries",
      "Loggingv2deliveries",
      "Loggingv2deliveriesdistributions",
      "Loggingv2deliveriesloggroups",
      "Responseheaderspolicies",
      "Responseheaderspolicieslisting",
      "Stagedchangesontheprimaries",
      "Stagedchangesonstagingcopies",
      "Stagedchangescontinuousdeploymentpolicies",
    ]);
    expect(policy.Statement[5]!.Resource).toBe("arn:aws:cloudfront::111122223333:cache-policy/*");
    expect(policy.Statement[2]!.Resource).toBe("arn:aws:cloudfront::111122223333:distribution-tenant/*");
    expect(policy.Statement[3]!.Resource).toBe("arn:aws:cloudfront::111122223333:distribution-tenant/*");
    expect(policy.Statement[0]!.Resource).toEqual([
      "arn:aws:cloudfront::111122223333:distribution/E2EXAMPLE123",
      "arn:aws:cloudfront::111122223333:distribution/E3SHOPEXAMPLE",
    ]);
  });

  it.each([
    [[], /Tell me the AWS account id/],
    [["--account", "12"], /--account takes a 12-digit AWS account id, not 12/],
    [
      ["--account", "111122223333", "--without", "purges"],
      /--without takes changes, realtime-logs, metrics, staging, access-logs; purges is none/,
    ],
    [["--account", "111122223333", "--delivery-role", "role/x"], /--delivery-role takes an IAM role ARN/],
  ])("refuses %j in one sentence, printing no policy", (args, message) => {
    const out = run(args, "distributions:\n  web:\n    id: E2EXAMPLE123\n");
    expect(out.status).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toMatch(message);
  });

  describe("with distributions in other accounts", () => {
    const config =
      "distributions:\n  web:\n    id: E2EXAMPLE123\n" +
      "  far:\n    id: E3FAREXAMPLE\n    roleArn: arn:aws:iam::222233334444:role/cdnbot\n    externalId: k-7f3a\n";
    type Policy = {
      Statement: {
        Sid: string;
        Action: string[] | string;
        Resource: unknown;
        Condition?: unknown;
        Principal?: unknown;
      }[];
    };

    it("lets the bot assume their roles, and grants nothing on them in its own account", () => {
      const out = run(["--account", "111122223333", "--without", "realtime-logs,metrics"], config);

      expect(out.status).toBe(0);
      const policy = JSON.parse(out.stdout) as Policy;
      expect(policy.Statement.map((s) => s.Sid)).toEqual([
        "Purgesandstatus",
        "Tenantslisting",
        "Tenants",
        "Tenantchanges",
        "Distributionchanges",
        "Cachepolicychanges",
        "Cachepolicychangesblastradius",
        "Accesslogdeliverieslisting",
        "Accesslogdeliveries",
        "Loggingv2deliveries",
        "Loggingv2deliveriesdistributions",
        "Loggingv2deliveriesloggroups",
        "Responseheaderspolicies",
        "Responseheaderspolicieslisting",
        "Stagedchangesontheprimaries",
        "Stagedchangesonstagingcopies",
        "Stagedchangescontinuousdeploymentpolicies",
        "Distributionsinotheraccounts",
      ]);
      expect(policy.Statement[0]!.Resource).toEqual([
        "arn:aws:cloudfront::111122223333:distribution/E2EXAMPLE123",
      ]);
      expect(policy.Statement[17]).toMatchObject({
        Action: ["sts:AssumeRole"],
        Resource: ["arn:aws:iam::222233334444:role/cdnbot"],
      });
    });

    it("prints a role's permissions in its own account, and its trust policy with the external id", () => {
      const role = run(["--role", "arn:aws:iam::222233334444:role/cdnbot"], config);
      expect(role.status).toBe(0);
      const permissions = JSON.parse(role.stdout) as Policy;
      expect(permissions.Statement.map((s) => s.Sid)).toEqual([
        "Purgesandstatus",
        "Tenantslisting",
        "Tenants",
        "Tenantchanges",
        "Distributionchanges",
        "Cachepolicychanges",
        "Cachepolicychangesblastradius",
        "Accesslogdeliverieslisting",
        "Accesslogdeliveries",
        "Loggingv2deliveries",
        "Loggingv2deliveriesdistributions",
        "Loggingv2deliveriesloggroups",
        "Responseheaderspolicies",
        "Responseheaderspolicieslisting",
        "Stagedchangesontheprimaries",
        "Stagedchangesonstagingcopies",
        "Stagedchangescontinuousdeploymentpolicies",
        "Metricsandalerts",
      ]);
      expect(permissions.Statement[0]!.Resource).toEqual([
        "arn:aws:cloudfront::222233334444:distribution/E3FAREXAMPLE",
      ]);

      const trust = run(
        [
          "--role",
          "arn:aws:iam::222233334444:role/cdnbot",
          "--trust",
          "arn:aws:iam::111122223333:role/cdnbot-host",
        ],
        config,
      );
      expect(trust.status).toBe(0);
      expect((JSON.parse(trust.stdout) as Policy).Statement).toEqual([
        {
          Sid: "cdnbot",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::111122223333:role/cdnbot-host" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "sts:ExternalId": "k-7f3a" } },
        },
      ]);
    });

    it.each([
      [
        ["--role", "arn:aws:iam::999999999999:role/other"],
        /No distribution in the config names the role .*other\. The roles it names: arn:aws:iam::222233334444:role\/cdnbot\./,
      ],
      [
        ["--account", "111122223333", "--trust", "arn:aws:iam::111122223333:role/host"],
        /--trust prints the trust policy of a role: name it with --role/,
      ],
      [
        ["--role", "arn:aws:iam::222233334444:role/cdnbot", "--trust", "someone"],
        /--trust takes the ARN of the role or user the bot runs as/,
      ],
    ])("refuses %j in one sentence", (args, message) => {
      const out = run(args, config);
      expect(out.status).toBe(1);
      expect(out.stdout).toBe("");
      expect(out.stderr).toMatch(message);
    });
  });

  it("adds the DynamoDB table's actions, on that table only, when the state is kept there", () => {
    const out = run(
      ["--account", "111122223333", "--without", "realtime-logs,metrics,changes"],
      "store:\n  dynamodb:\n    table: cdnbot\ndistributions:\n  web:\n    id: E2EXAMPLE123\n",
    );
    expect(out.status).toBe(0);
    const policy = JSON.parse(out.stdout) as {
      Statement: { Sid: string; Action: string[]; Resource: unknown }[];
    };
    const table = policy.Statement.find((s) => s.Sid === "Stateindynamodb");
    expect(table?.Resource).toBe("arn:aws:dynamodb:*:111122223333:table/cdnbot");
    expect(table?.Action).toEqual(
      expect.arrayContaining(["dynamodb:Query", "dynamodb:PutItem", "dynamodb:CreateTable"]),
    );
  });
});
