import { GetDistributionConfigCommand, UpdateDistributionCommand } from "@aws-sdk/client-cloudfront";
import { CreateTableCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { CreateWebACLCommand, WAFV2Client } from "@aws-sdk/client-wafv2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stagingCalls } from "../../src/aws/cloudfront-staging-calls.js";
import { REQUIRED_BOT_SCOPES } from "../../src/slack/slack-scopes.js";
import { freePort, runBotExpectingFailure } from "../support/bot-process.js";
import { createTestDistribution } from "../support/moto.js";
import { runCliProcess, runDoctorProcess, startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(async () => {
  await bed?.close();
});

/** Runs the doctor on this config. */
const doctor = (config: string) => runDoctorProcess(bed, config);

describe("npm run doctor", () => {
  it("checks config, Slack, AWS and every call each distribution needs, and says all is fine", async () => {
    const out = await doctor(`distributions:\n  web:\n    id: ${bed.web.id}\n`);

    expect(out.stdout).toMatch(/^ok {3}Slack token +Fake, as @cdnbot$/m);
    expect(out.stdout).toMatch(
      /^ok {3}Slack scopes +commands, chat:write, usergroups:read, files:write, channels:history, groups:history$/m,
    );
    expect(out.stdout).toMatch(/^ok {3}AWS credentials +account \d{12} as arn:aws:/m);
    for (const call of [
      "GetDistribution",
      "ListInvalidations",
      "GetDistributionConfig",
      "GetCachePolicyConfig, 1",
      "cloudwatch:GetMetricData",
    ])
      expect(out.stdout).toMatch(new RegExp(`^ok {3}web \\(${bed.web.id}\\): .*${call}`, "m"));
    expect(out.stdout).toMatch(
      new RegExp(
        `^ok {3}web \\(${bed.web.id}\\): staged changes +possible; its staging copy is made at the first`,
        "m",
      ),
    );
    expect(out.stdout).toMatch(/Everything cdnbot needs is in place\.$/m);
    expect(out.status).toBe(0);
  });

  it("reads a multi-tenant distribution's tenants, as /cdn tenants and a tenant's purge will", async () => {
    bed.strict.defineTenantParameters(bed.web.id, [{ name: "origin" }]);
    bed.strict.addTenant(bed.web.id, { name: "doc-tenant", domains: ["doc-tenant.example.com"] });
    const out = await doctor(`distributions:\n  web:\n    id: ${bed.web.id}\n`);
    expect(out.stdout).toMatch(
      new RegExp(`^ok {3}web \\(${bed.web.id}\\): tenants \\(ListDistributionTenants\\) +allowed$`, "m"),
    );
    expect(out.stdout).toMatch(
      new RegExp(`^ok {3}web \\(${bed.web.id}\\): a tenant \\(GetDistributionTenant\\) +allowed$`, "m"),
    );
    expect(out.status).toBe(0);
  });

  it("reads each key-value store the config names, through its SigV4A-signed data plane", async () => {
    const store = bed.strict.addKeyValueStore({ "/a": "/b" });
    const out = await doctor(
      `distributions:\n  web:\n    id: ${bed.web.id}\nkeyValueStores:\n  redirects:\n    arn: ${store}\n  gone:\n    arn: arn:aws:cloudfront::123456789012:key-value-store/nosuch\n`,
    );
    expect(out.stdout).toMatch(
      /^ok {3}key-value store redirects \(DescribeKeyValueStore\) +allowed, 1 key$/m,
    );
    expect(out.stdout).toMatch(
      /^FIX +key-value store gone \(DescribeKeyValueStore\) +There is no such key-value store/m,
    );
    expect(out.status).toBe(1);
  });

  it("counts the account's distributions for each environment template against the quota", async () => {
    const template = "environments:\n  templates:\n    preview:\n      from: web\n";
    const roomy = await doctor(`distributions:\n  web:\n    id: ${bed.web.id}\n${template}`);
    expect(roomy.stdout).toMatch(
      /^ok {3}environment template preview: distributions in the account \(ListDistributions\) +1 of 200$/m,
    );
    const full = await doctor(
      `distributions:\n  web:\n    id: ${bed.web.id}\n${template}  distributionsQuota: 1\n`,
    );
    expect(full.stdout).toMatch(/^FIX +environment template preview: .* 1 of 1: no room for an environment/m);
    expect(full.status).toBe(1);
  });

  it("reads each web ACL the config lets /cdn waf attach, as CloudFront will", async () => {
    const waf = new WAFV2Client({
      region: "us-east-1",
      endpoint: bed.moto.url,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    const made = await waf.send(
      new CreateWebACLCommand({
        Name: "block-bots",
        Scope: "CLOUDFRONT",
        DefaultAction: { Allow: {} },
        VisibilityConfig: {
          SampledRequestsEnabled: false,
          CloudWatchMetricsEnabled: false,
          MetricName: "bots",
        },
      }),
    );
    const missing = made.Summary!.ARN!.replace(
      /webacl\/block-bots\/[^/]+$/,
      "webacl/gone/00000000-0000-0000-0000-000000000000",
    );
    const out = await doctor(
      `distributions:\n  web:\n    id: ${bed.web.id}\nwaf:\n  webAcls:\n    - ${made.Summary!.ARN}\n    - ${missing}\n`,
    );
    expect(out.stdout).toMatch(/^ok {3}web ACL block-bots \(wafv2:GetWebACL\) +allowed$/m);
    expect(out.stdout).toMatch(/^FIX +web ACL gone \(wafv2:GetWebACL\) +/m);
    expect(out.status).toBe(1);
  });

  it("names what to fix, by reading only, and exits 1", async () => {
    bed.fake.setBotScopes(["commands", "chat:write"]);
    const updates = bed.strict.counts().UpdateDistribution ?? 0;

    const out = await doctor(
      `distributions:\n  web:\n    id: ${bed.web.id}\n  gone:\n    id: EGONE0000000\n`,
    );

    bed.fake.setBotScopes(Object.keys(REQUIRED_BOT_SCOPES));
    expect(out.stdout).toMatch(
      /^FIX +Slack scopes +missing usergroups:read \(policies that name user groups\), files:write \(the chart of \/cdn stats\)/m,
    );
    expect(out.stdout).toMatch(
      /^FIX +gone \(EGONE0000000\): exists \(GetDistribution\) +CloudFront has no distribution with this id/m,
    );
    expect(out.stdout).not.toMatch(/gone \(EGONE0000000\): purge status/);
    expect(out.stdout).toMatch(/^2 problems to fix before cdnbot can be trusted/m);
    expect(out.status).toBe(1);
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(updates);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
  });

  it("checks the DynamoDB state table the config names: there, keyed as cdnbot keys it, readable and writable", async () => {
    const db = new DynamoDBClient({
      region: "eu-west-1", // the bot's region in the test bed
      endpoint: bed.moto.url,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    const config = `distributions:\n  web:\n    id: ${bed.web.id}\nstore:\n  dynamodb:\n    table: doctor-state\n`;

    const missing = await doctor(config);
    expect(missing.stdout).toMatch(
      /^FIX +State table doctor-state: exists \(DescribeTable\) +missing: the bot makes it at first start when its credentials may, or run `npm run create-table`$/m,
    );
    expect(missing.status).toBe(1);

    expect((await runCliProcess(bed, ["create-table"], config)).status).toBe(0);
    // Asked for help, a tool gives it (it once said it did not know --help).
    const help = await runCliProcess(bed, ["iam-policy", "--help"], config);
    expect(help).toMatchObject({ status: 0, stderr: "" });
    expect(help.stdout).toMatch(/--account/);
    const fine = await doctor(config);
    expect(fine.stdout).toMatch(
      /^ok {3}State table doctor-state: exists \(DescribeTable\) +keys pk and sk$/m,
    );
    expect(fine.stdout).toMatch(/^ok {3}State table doctor-state: read \(Query\) +allowed$/m);
    expect(fine.stdout).toMatch(
      /^ok {3}State table doctor-state: write \(PutItem, checked without writing\) +allowed$/m,
    );
    expect(fine.status).toBe(0);
    expect((await db.send(new ScanCommand({ TableName: "doctor-state" }))).Count).toBe(0);

    await db.send(
      new CreateTableCommand({
        TableName: "someone-elses",
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      }),
    );
    const foreign = await doctor(config.replace("doctor-state", "someone-elses"));
    expect(foreign.stdout).toMatch(
      /^FIX +State table someone-elses: exists \(DescribeTable\) +its keys are not cdnbot's \(pk and sk, both strings\)/m,
    );
    expect(foreign.stdout).not.toMatch(/someone-elses: read/);
    db.destroy();
  }, 60_000); // three doctor runs and a table made in moto: past 30 s beside the whole suite

  it("runs start's own first checks: both name every config and environment problem, in the same words", async () => {
    const broken = {
      CDNBOT_CONFIG: "/nonexistent/cdnbot.yml",
      SLACK_BOT_TOKEN: "xoxp-user-token-secret",
      SLACK_SIGNING_SECRET: "",
    };
    const out = await runDoctorProcess(bed, "", broken);
    const started = await runBotExpectingFailure(broken);

    const configProblem =
      /\/nonexistent\/cdnbot\.yml:\n {2}- the file does not exist\. Create it .* or point CDNBOT_CONFIG at it\./;
    const tokenProblem =
      /SLACK_BOT_TOKEN: must be a bot token \(xoxb-…\), and this is a user token: the bot acts as itself/;
    const secretProblem = /SLACK_SIGNING_SECRET: is required in HTTP mode/;
    expect(out.stdout).toMatch(/^FIX +Config file +Invalid config file \/nonexistent\/cdnbot\.yml/m);
    expect(out.stdout).toMatch(/^FIX +Environment +Invalid environment:/m);
    for (const problem of [configProblem, tokenProblem, secretProblem]) {
      expect(out.stdout).toMatch(problem);
      expect(started.output).toMatch(problem);
    }
    // Slack is not asked with a token known to be wrong; AWS is still checked.
    expect(out.stdout).not.toMatch(/Slack token/);
    expect(out.stdout).toMatch(/^ok {3}AWS credentials/m);
    expect(out.status).toBe(1);
    expect(started.code).toBe(1);
    for (const text of [out.stdout, started.output]) expect(text).not.toContain("xoxp-user-token-secret");
  });

  it("words Slack's refusal of the token as start does, not as Slack's raw error code", async () => {
    // Its own token: the bed's running bot asks auth.test too (its health job), and must not meet the fault.
    const token = "xoxb-doctor-refused";
    bed.fake.failNext("auth.test", "invalid_auth", token);
    const out = await runDoctorProcess(bed, `distributions:\n  web:\n    id: ${bed.web.id}\n`, {
      SLACK_BOT_TOKEN: token,
    });
    expect(out.stdout).toMatch(
      /^FIX +Slack token +Slack refused SLACK_BOT_TOKEN \(invalid_auth\): copy the Bot User OAuth Token \(xoxb-…\) from your app's OAuth & Permissions page/m,
    );
    expect(out.status).toBe(1);
  });

  it("calls an unreachable AWS a network problem, not a credentials one", async () => {
    const closed = await freePort();
    const out = await runDoctorProcess(bed, `distributions:\n  web:\n    id: ${bed.web.id}\n`, {
      AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${closed}`,
    });
    const line = out.stdout.split("\n").find((l) => l.includes("AWS credentials")) ?? "";
    expect(line).toMatch(
      /^FIX +AWS credentials +The bot cannot reach AWS right now \(network error\)\. Check the network or proxy/,
    );
    expect(line).toMatch(/the credentials were not checked/);
    expect(line).not.toMatch(/credential chain|credentials the AWS SDK finds/);
    expect(out.status).toBe(1);
  });

  it("reads a staged distribution's continuous deployment policy, as a staged change will", async () => {
    const staging = stagingCalls(bed.cloudfront);
    const shop = await createTestDistribution(bed.cloudfront, { comment: "staged shop" });
    const { ETag } = await bed.cloudfront.send(new GetDistributionConfigCommand({ Id: shop.id }));
    const copy = await staging.copyToStaging(shop.id, "doctor-staging", ETag!);
    const policy = await staging.createContinuousDeploymentPolicy(
      {
        StagingDistributionDnsNames: { Quantity: 1, Items: [copy.domainName] },
        Enabled: false,
        TrafficConfig: { Type: "SingleWeight", SingleWeightConfig: { Weight: 0.05 } },
      },
      shop.id,
    );
    const read = await bed.cloudfront.send(new GetDistributionConfigCommand({ Id: shop.id }));
    await bed.cloudfront.send(
      new UpdateDistributionCommand({
        Id: shop.id,
        IfMatch: read.ETag,
        DistributionConfig: { ...read.DistributionConfig!, ContinuousDeploymentPolicyId: policy.id },
      }),
    );
    const out = await doctor(`distributions:\n  shop:\n    id: ${shop.id}\n`);
    expect(out.stdout).toMatch(
      new RegExp(
        `^ok {3}shop \\(${shop.id}\\): staged changes \\(GetContinuousDeploymentPolicyConfig\\) +allowed$`,
        "m",
      ),
    );
    expect(out.status).toBe(0);
  });
});
