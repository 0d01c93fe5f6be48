import { describe, expect, it } from "vitest";
import { describeAwsError } from "../../src/aws/aws-errors.js";
import { PAYLOADS, shapeProblems } from "../../src/aws/cloudfront-service-model.js";
import { DEMO_DISTRIBUTIONS } from "../../src/sandbox/demo-distributions.js";
import { refuseMalformed } from "../../src/sandbox/simulated-aws-errors.js";
import { DEFAULT_TIMING, SimulatedCloudFront } from "../../src/sandbox/simulated-cloudfront.js";

const WEB = DEMO_DISTRIBUTIONS[0]!;
const config = () => structuredClone(WEB.config);
const problems = (value: unknown) => shapeProblems(PAYLOADS.DistributionConfig, value, "DistributionConfig");

describe("the check against CloudFront's service model", () => {
  it("passes every demo distribution's config as it is", () => {
    for (const d of DEMO_DISTRIBUTIONS) expect(problems(d.config), d.alias).toEqual([]);
  });

  it("names a missing required member, a wrong type and a Quantity that is not the number of Items", () => {
    const broken = config() as Record<string, unknown> & ReturnType<typeof config>;
    delete broken.Enabled;
    broken.Comment = 42 as never;
    broken.Aliases = { Quantity: 2, Items: ["www.example.com"] };
    broken.DefaultCacheBehavior = { ...broken.DefaultCacheBehavior!, TargetOriginId: undefined as never };

    expect(problems(broken)).toEqual([
      "DistributionConfig.DefaultCacheBehavior.TargetOriginId is required",
      "DistributionConfig.Comment must be a string",
      "DistributionConfig.Enabled is required",
      "DistributionConfig.Aliases.Quantity is 2 but DistributionConfig.Aliases.Items has 1",
    ]);
  });

  it("checks lists member by member, and an invalidation's paths", () => {
    expect(
      shapeProblems(
        PAYLOADS.InvalidationBatch,
        { Paths: { Quantity: 2, Items: ["/a", 7] }, CallerReference: "r" },
        "InvalidationBatch",
      ),
    ).toEqual(["InvalidationBatch.Paths.Items[1] must be a string"]);
    expect(() => refuseMalformed("InvalidationBatch", { Paths: { Quantity: 0 } })).toThrow(
      /1 validation error detected: InvalidationBatch.CallerReference is required/,
    );
  });

  it("makes the sandbox's CloudFront refuse such a write as AWS would, changing nothing", async () => {
    const cf = new SimulatedCloudFront([{ id: WEB.id, config: WEB.config }], Date.now, DEFAULT_TIMING);
    const { config: current, etag } = await cf.getDistributionConfig(WEB.id);
    const refused = await cf
      .updateDistribution(
        WEB.id,
        { ...current, Origins: { Quantity: 3, Items: current.Origins!.Items } },
        etag,
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect((refused as Error).name).toBe("InvalidArgument");
    expect(describeAwsError(refused).explanation).toMatch(/Origins.Quantity is 3/);
    expect((await cf.getDistributionConfig(WEB.id)).etag).toBe(etag);
  });
});
