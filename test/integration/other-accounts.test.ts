import { GetDistributionCommand, ListInvalidationsCommand } from "@aws-sdk/client-cloudfront";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAwsGateways } from "../../src/aws/aws-gateways.js";
import { type StsProxy, startStsProxy } from "../support/sts-proxy.js";
import { clientInAccountOf, runDoctorProcess, startTestBed, type TestBed } from "../support/test-bed.js";

const FAR_ROLE = "arn:aws:iam::222233334444:role/cdnbot";
const FAR_EXTERNAL_ID = "cdnbot-7f3a";

let bed: TestBed;
let sts: StsProxy;
const savedEnv = { ...process.env };

beforeAll(async () => {
  bed = await startTestBed({
    distributionsInOtherAccounts: { far: FAR_ROLE },
    extraConfig: (_web, others) =>
      `  far:\n    id: ${others.far?.id}\n    roleArn: ${FAR_ROLE}\n    externalId: ${FAR_EXTERNAL_ID}\n`,
  });
  sts = await startStsProxy(bed.moto.url);
});
afterAll(async () => {
  await sts?.close();
  await bed?.close();
});
afterEach(() => {
  process.env = { ...savedEnv };
  sts.assumeRoleCalls.length = 0;
  delete sts.expiresInMs;
});

/** The gateways as the bot builds them, in this process, with STS behind the recording proxy. */
function gateways() {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_ENDPOINT_URL_CLOUDFRONT: bed.strict.url,
    AWS_ENDPOINT_URL_CLOUDWATCH: bed.moto.url,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_EC2_METADATA_DISABLED: "true",
  });
  const far = bed.others.far!;
  return createAwsGateways(
    { requestMs: 5_000 },
    { roleOf: (id) => (id === far.id ? { roleArn: FAR_ROLE, externalId: FAR_EXTERNAL_ID } : undefined) },
  );
}

describe("a distribution in another AWS account", () => {
  it("is purged through the role the config names, and the invalidation lands in that account", async () => {
    const far = bed.others.far!;
    await bed.command("purge far /pricing.html", { userId: "UALICE", channelId: "CFAR" });

    const done = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CFAR" && Boolean(b.thread_ts) && /Completed in \d+s/.test(String(b.text)),
      15_000,
    );
    const invalidationId = /Invalidation (\S+) Completed/.exec(String(done.body.text))?.[1];
    const inFar = await clientInAccountOf(FAR_ROLE, bed.strict.url, bed.moto.url).send(
      new ListInvalidationsCommand({ DistributionId: far.id }),
    );
    expect(inFar.InvalidationList?.Items?.map((i) => i.Id)).toEqual([invalidationId]);
    // With the bot's own credentials the distribution does not exist: the role was used.
    await expect(bed.cloudfront.send(new GetDistributionCommand({ Id: far.id }))).rejects.toThrow(
      /does not exist/,
    );
  });

  it("assumes the role once with its external id, and reuses the credentials while they are fresh", async () => {
    const { cloudfront, cloudwatch } = gateways();
    const far = bed.others.far!;

    await cloudfront.getDistribution(far.id);
    await cloudfront.listInvalidations(far.id, 1);
    await cloudfront.getDistribution(bed.web.id); // the bot's own account: no role

    expect(sts.assumeRoleCalls).toHaveLength(1);
    expect(sts.assumeRoleCalls[0]?.get("RoleArn")).toBe(FAR_ROLE);
    expect(sts.assumeRoleCalls[0]?.get("ExternalId")).toBe(FAR_EXTERNAL_ID);
    expect(sts.assumeRoleCalls[0]?.get("RoleSessionName")).toBe("cdnbot");
    // CloudWatch reads the same account's metrics with the same role.
    await cloudwatch.getDistributionMetrics(far.id, ["Requests"], {
      startMs: 0,
      endMs: 60_000,
      periodSeconds: 60,
    });
    expect(sts.assumeRoleCalls.every((c) => c.get("RoleArn") === FAR_ROLE)).toBe(true);
  });

  it("asks STS again before credentials expire, not after", async () => {
    // Credentials that lapse in 2 minutes are inside the SDK's 5-minute refresh window.
    sts.expiresInMs = 2 * 60_000;
    const { cloudfront } = gateways();
    const far = bed.others.far!;

    await cloudfront.getDistribution(far.id);
    const afterFirst = sts.assumeRoleCalls.length;
    await cloudfront.getDistribution(far.id);

    expect(afterFirst).toBeGreaterThan(0);
    expect(sts.assumeRoleCalls.length).toBeGreaterThan(afterFirst);
  });

  it("is checked by the doctor through its role, which names the role when it cannot be assumed", async () => {
    const far = bed.others.far!;
    const config = `distributions:\n  far:\n    id: ${far.id}\n    roleArn: ${FAR_ROLE}\n    externalId: ${FAR_EXTERNAL_ID}\n`;

    const fine = await runDoctorProcess(bed, config, { AWS_ENDPOINT_URL_STS: sts.url });
    expect(fine.stdout).toMatch(
      new RegExp(`^ok +far \\(${far.id}\\): exists \\(GetDistribution as ${FAR_ROLE}\\)`, "m"),
    );
    expect(fine.stdout).toMatch(
      new RegExp(`^ok +far \\(${far.id}\\): changes \\(GetDistributionConfig\\)`, "m"),
    );
    expect(fine.status).toBe(0);

    sts.refused.add(FAR_ROLE);
    const refused = await runDoctorProcess(bed, config, { AWS_ENDPOINT_URL_STS: sts.url });
    sts.refused.clear();
    expect(refused.stdout).toMatch(
      /^FIX +far .*GetDistribution as .*AWS refused: the bot's IAM identity is not allowed/m,
    );
    expect(refused.stdout).toMatch(/check the role's trust policy \(the bot's principal, the external id\)/);
    expect(refused.status).toBe(1);
  });
});
