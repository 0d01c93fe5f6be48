import {
  CloudFrontClient,
  CreateInvalidationCommand,
  DeleteDistributionCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  GetInvalidationCommand,
  ListDistributionsCommand,
  UpdateDistributionCommand,
} from "@aws-sdk/client-cloudfront";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stagingCalls } from "../../src/aws/cloudfront-staging-calls.js";
import { createTestDistribution, type MotoServer, startMoto } from "../support/moto.js";
import { type StrictCloudFront, startStrictCloudFront } from "../support/strict-cloudfront.js";

// The test bed's strict layer must behave as AWS documents, or the tests built on it prove nothing.
let moto: MotoServer;
let strict: StrictCloudFront;
let cf: CloudFrontClient;
let distributionId: string;

beforeAll(async () => {
  moto = await startMoto();
  strict = await startStrictCloudFront(moto.url, {
    invalidationCompletesAfterMs: 300,
    deployAfterMs: 300,
    maxWildcardPathsInFlight: 2,
  });
  cf = new CloudFrontClient({
    region: "us-east-1",
    endpoint: strict.url,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    maxAttempts: 1,
  });
  distributionId = (await createTestDistribution(cf)).id;
});
afterAll(async () => {
  cf?.destroy();
  await strict?.close();
  await moto?.stop();
});

const invalidate = (paths: string[], ref: string) =>
  cf.send(
    new CreateInvalidationCommand({
      DistributionId: distributionId,
      InvalidationBatch: { CallerReference: ref, Paths: { Quantity: paths.length, Items: paths } },
    }),
  );

describe("the strict CloudFront layer (the CloudFront model, on the wire)", () => {
  it("gives a new distribution the members AWS fills in, and lists it as AWS summarizes it", async () => {
    const made = await createTestDistribution(cf, { comment: "defaults" });
    const { DistributionConfig: config } = await cf.send(new GetDistributionConfigCommand({ Id: made.id }));
    expect(config?.Restrictions?.GeoRestriction).toEqual({ RestrictionType: "none", Quantity: 0 });
    expect(config?.ViewerCertificate?.CloudFrontDefaultCertificate).toBe(true);
    expect(config?.HttpVersion).toBe("http2");
    expect(config?.DefaultCacheBehavior?.AllowedMethods?.Items).toEqual(["HEAD", "GET"]);
    expect(config?.Origins?.Items?.[0]?.ConnectionAttempts).toBe(3);
    // With a cache policy there is no ForwardedValues: AWS refuses a behaviour with both.
    expect(config?.DefaultCacheBehavior?.ForwardedValues).toBeUndefined();
    expect(made.arn).toMatch(/^arn:aws:cloudfront::\d{12}:distribution\/E[A-Z0-9]{13}$/);
    const listed = (await cf.send(new ListDistributionsCommand({}))).DistributionList?.Items?.find(
      (d) => d.Id === made.id,
    );
    expect(listed).toMatchObject({ Comment: "defaults", Enabled: true, Status: "InProgress" });
  });

  it("deletes a distribution only once it is disabled and Deployed, with the current ETag", async () => {
    const made = await createTestDistribution(cf, { comment: "to delete" });
    const read = () => cf.send(new GetDistributionConfigCommand({ Id: made.id }));
    const enabled = await read();
    await expect(
      cf.send(new DeleteDistributionCommand({ Id: made.id, IfMatch: enabled.ETag })),
    ).rejects.toMatchObject({ name: "DistributionNotDisabled" });
    const disabled = await cf.send(
      new UpdateDistributionCommand({
        Id: made.id,
        IfMatch: enabled.ETag,
        DistributionConfig: { ...enabled.DistributionConfig!, Enabled: false },
      }),
    );
    // Disabled but still deploying: not yet.
    await expect(
      cf.send(new DeleteDistributionCommand({ Id: made.id, IfMatch: disabled.ETag })),
    ).rejects.toMatchObject({ name: "DistributionNotDisabled" });
    await new Promise((r) => setTimeout(r, 400));
    await expect(
      cf.send(new DeleteDistributionCommand({ Id: made.id, IfMatch: enabled.ETag })),
    ).rejects.toMatchObject({ name: "PreconditionFailed" });
    await cf.send(new DeleteDistributionCommand({ Id: made.id, IfMatch: disabled.ETag }));
    await expect(read()).rejects.toMatchObject({ name: "NoSuchDistribution" });
  });

  it("keeps an invalidation InProgress for a while, then says Completed as AWS does", async () => {
    const created = await invalidate(["/a"], "ref-progress");
    expect(created.Invalidation?.Status).toBe("InProgress");
    await new Promise((r) => setTimeout(r, 400));
    const later = await cf.send(
      new GetInvalidationCommand({ DistributionId: distributionId, Id: created.Invalidation!.Id! }),
    );
    expect(later.Invalidation?.Status).toBe("Completed");
  });

  it("returns the first invalidation for a reused CallerReference and refuses a different batch", async () => {
    const before = strict.invalidationsCreated(distributionId);
    const first = await invalidate(["/b"], "ref-same");
    const again = await invalidate(["/b"], "ref-same");
    expect(again.Invalidation?.Id).toBe(first.Invalidation?.Id);
    expect(strict.invalidationsCreated(distributionId) - before).toBe(1);
    await expect(invalidate(["/other"], "ref-same")).rejects.toMatchObject({
      name: "InvalidationBatchAlreadyExists",
    });
  });

  it("refuses wildcard paths past the in-flight quota", async () => {
    strict.holdInvalidations(true);
    await invalidate(["/w1/*", "/w2/*"], "ref-quota-1");
    await expect(invalidate(["/w3/*"], "ref-quota-2")).rejects.toMatchObject({
      name: "TooManyInvalidationsInProgress",
    });
    strict.holdInvalidations(false);
  });

  it("checks If-Match against an ETag that changes on every update, and deploys for a while", async () => {
    const first = await cf.send(new GetDistributionConfigCommand({ Id: distributionId }));
    const update = (etag: string | undefined) =>
      cf.send(
        new UpdateDistributionCommand({
          Id: distributionId,
          IfMatch: etag,
          DistributionConfig: { ...first.DistributionConfig!, Comment: `changed at ${Date.now()}` },
        }),
      );
    const updated = await update(first.ETag);
    expect(updated.ETag).not.toBe(first.ETag);
    expect(updated.Distribution?.Status).toBe("InProgress");
    await expect(update(first.ETag)).rejects.toMatchObject({ name: "PreconditionFailed" });
    await expect(update(undefined)).rejects.toMatchObject({ name: "InvalidIfMatchVersion" });
    await new Promise((r) => setTimeout(r, 400));
    const after = await cf.send(new GetDistributionCommand({ Id: distributionId }));
    expect(after.Distribution?.Status).toBe("Deployed");
    expect(after.ETag).toBe(updated.ETag);
  });

  it("refuses a body that does not fit CloudFront's service model, as AWS would and moto does not", async () => {
    const { DistributionConfig: config, ETag } = await cf.send(
      new GetDistributionConfigCommand({ Id: distributionId }),
    );
    const aliases = { Quantity: 2, Items: ["www.example.com"] };
    await expect(
      cf.send(
        new UpdateDistributionCommand({
          Id: distributionId,
          IfMatch: ETag,
          DistributionConfig: { ...config!, Aliases: aliases },
        }),
      ),
    ).rejects.toMatchObject({
      name: "InvalidArgument",
      message: expect.stringContaining(
        "DistributionConfig.Aliases.Quantity is 2 but DistributionConfig.Aliases.Items has 1",
      ),
    });
    await expect(
      cf.send(
        new CreateInvalidationCommand({
          DistributionId: distributionId,
          InvalidationBatch: { CallerReference: "miscounted", Paths: { Quantity: 3, Items: ["/a"] } },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidArgument" });
    // Nothing was written: the ETag read before is still the one to send.
    expect(strict.currentETag(distributionId)).toBe(ETag);
  });

  it("injects AWS errors that the SDK reports under their own names", async () => {
    strict.failNext("GetDistribution", { status: 400, code: "Throttling", message: "Rate exceeded" });
    await expect(cf.send(new GetDistributionCommand({ Id: distributionId }))).rejects.toMatchObject({
      name: "Throttling",
      message: "Rate exceeded",
    });
    await expect(cf.send(new GetDistributionCommand({ Id: distributionId }))).resolves.toBeDefined();
  });

  it("stages a copy, sends it part of the traffic, and promotes it with both ETags (the SDK's calls)", async () => {
    const primary = (await createTestDistribution(cf, { comment: "staged" })).id;
    const staging = stagingCalls(cf);
    const { ETag: primaryEtag } = await cf.send(new GetDistributionConfigCommand({ Id: primary }));
    const copy = await staging.copyToStaging(primary, "staging-of-primary", primaryEtag!);
    const { DistributionConfig: copied } = await cf.send(new GetDistributionConfigCommand({ Id: copy.id }));
    expect(copied?.Staging).toBe(true);
    expect(copied?.Aliases?.Quantity).toBe(0);
    // The same CallerReference again makes no second copy.
    await expect(staging.copyToStaging(primary, "staging-of-primary", primaryEtag!)).rejects.toMatchObject({
      name: "DistributionAlreadyExists",
    });
    const traffic = (weight: number) => ({
      StagingDistributionDnsNames: { Quantity: 1, Items: [copy.domainName] },
      Enabled: true,
      TrafficConfig: { Type: "SingleWeight" as const, SingleWeightConfig: { Weight: weight } },
    });
    // CloudFront sends a staging distribution at most 15 % of the traffic.
    await expect(staging.createContinuousDeploymentPolicy(traffic(0.2), primary)).rejects.toMatchObject({
      name: "InvalidArgument",
    });
    const policy = await staging.createContinuousDeploymentPolicy(traffic(0.05), primary);
    const read = await staging.getContinuousDeploymentPolicy(policy.id, primary);
    expect(read.config.TrafficConfig?.SingleWeightConfig?.Weight).toBe(0.05);
    // Off: all traffic back to the primary, with the policy's ETag.
    await expect(
      staging.updateContinuousDeploymentPolicy(
        policy.id,
        { ...read.config, Enabled: false },
        "stale",
        primary,
      ),
    ).rejects.toMatchObject({ name: "PreconditionFailed" });
    const off = await staging.updateContinuousDeploymentPolicy(
      policy.id,
      { ...read.config, Enabled: false },
      read.etag,
      primary,
    );
    expect(off.etag).not.toBe(read.etag);
    // The primary takes the policy with an update; the staging copy takes a new TTL.
    const p = await cf.send(new GetDistributionConfigCommand({ Id: primary }));
    await cf.send(
      new UpdateDistributionCommand({
        Id: primary,
        IfMatch: p.ETag,
        DistributionConfig: { ...p.DistributionConfig!, ContinuousDeploymentPolicyId: policy.id },
      }),
    );
    const s = await cf.send(new GetDistributionConfigCommand({ Id: copy.id }));
    const behavior = s.DistributionConfig!.DefaultCacheBehavior!;
    await cf.send(
      new UpdateDistributionCommand({
        Id: copy.id,
        IfMatch: s.ETag,
        DistributionConfig: {
          ...s.DistributionConfig!,
          Comment: "staged TTL",
          DefaultCacheBehavior: behavior,
        },
      }),
    );
    const [p2, s2] = await Promise.all([
      cf.send(new GetDistributionConfigCommand({ Id: primary })),
      cf.send(new GetDistributionConfigCommand({ Id: copy.id })),
    ]);
    // Promotion needs both ETags, the primary's first.
    await expect(staging.promoteStagingConfig(primary, copy.id, `${p2.ETag}`)).rejects.toMatchObject({
      name: "InvalidIfMatchVersion",
    });
    await expect(
      staging.promoteStagingConfig(primary, copy.id, `${s2.ETag}, ${p2.ETag}`),
    ).rejects.toMatchObject({ name: "PreconditionFailed" });
    await staging.promoteStagingConfig(primary, copy.id, `${p2.ETag}, ${s2.ETag}`);
    const promoted = await cf.send(new GetDistributionConfigCommand({ Id: primary }));
    expect(promoted.DistributionConfig?.Comment).toBe("staged TTL");
    expect(promoted.DistributionConfig?.Staging).toBe(false);
    expect(promoted.DistributionConfig?.ContinuousDeploymentPolicyId).toBe(policy.id);
  });
});
