import { describe, expect, it } from "vitest";
import type {
  ContinuousDeploymentPolicyConfig,
  DistributionConfig,
} from "../../src/aws/cloudfront-gateway.js";
import { DEMO_DISTRIBUTIONS } from "../../src/sandbox/demo-distributions.js";
import { SimulatedContinuousDeployment } from "../../src/sandbox/simulated-continuous-deployment.js";
import { SimulatedDistributions } from "../../src/sandbox/simulated-distributions.js";

const WEB = DEMO_DISTRIBUTIONS[0]!;

function account() {
  let now = Date.UTC(2026, 11, 7, 12, 0, 0);
  let n = 0;
  const distributions = new SimulatedDistributions(
    () => now,
    () => 60_000,
    () => `ESTAGE${++n}`,
    () => `ETAG${++n}`,
  );
  const cd = new SimulatedContinuousDeployment(
    distributions,
    () => now,
    () => `CDP${++n}`,
    () => `ETAG${++n}`,
  );
  // The website, served over HTTP/2 (continuous deployment refuses HTTP/3).
  const primary = distributions.seed(WEB.id, { ...WEB.config, HttpVersion: "http2" });
  return { distributions, cd, primary, advance: (ms: number) => (now += ms) };
}

/** The AWS error code a call is refused with. */
function refusal(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
  throw new Error("expected CloudFront to refuse");
}

const byWeight = (domain: string, weight: number, idle = 300): ContinuousDeploymentPolicyConfig => ({
  StagingDistributionDnsNames: { Quantity: 1, Items: [domain] },
  Enabled: true,
  TrafficConfig: {
    Type: "SingleWeight",
    SingleWeightConfig: { Weight: weight, SessionStickinessConfig: { IdleTTL: idle, MaximumTTL: 600 } },
  },
});

describe("the CloudFront model's continuous deployment", () => {
  it("copies a primary into a staging distribution only with its current ETag, never with HTTP/3", () => {
    const { distributions, cd, primary } = account();
    expect(refusal(() => cd.copy(primary.id, "stage-1", "ESTALE", { staging: true, enabled: true }))).toMatch(
      /^PreconditionFailed/,
    );
    const staging = cd.copy(primary.id, "stage-1", primary.etag, { staging: true, enabled: true });
    expect(staging.config).toMatchObject({
      Staging: true,
      Aliases: { Quantity: 0 },
      CallerReference: "stage-1",
    });
    expect(staging.config.DefaultCacheBehavior?.DefaultTTL).toBe(WEB.config.DefaultCacheBehavior?.DefaultTTL);
    expect(primary.config.Aliases?.Quantity).toBe(2);

    const h3 = distributions.seed("EH3", { ...WEB.config, CallerReference: "h3", HttpVersion: "http2and3" });
    expect(refusal(() => cd.copy(h3.id, "stage-h3", h3.etag, { staging: true, enabled: true }))).toMatch(
      /^InvalidArgument: .*HTTP\/3/,
    );
  });

  it("takes a policy of at most 15 %, stickiness within 300–3600 s, or an aws-cf-cd- header", () => {
    const { distributions, cd, primary } = account();
    const staging = cd.copy(primary.id, "stage-1", primary.etag, { staging: true, enabled: true });
    const domain = distributions.domainName(staging);
    expect(refusal(() => cd.createPolicy(byWeight(domain, 0.2)))).toMatch(/^InvalidArgument: .*at most 0.15/);
    expect(refusal(() => cd.createPolicy(byWeight(domain, 0.05, 100)))).toMatch(/300 to 3600 seconds/);
    const header = (name: string): ContinuousDeploymentPolicyConfig => ({
      StagingDistributionDnsNames: { Quantity: 1, Items: [domain] },
      Enabled: true,
      TrafficConfig: { Type: "SingleHeader", SingleHeaderConfig: { Header: name, Value: "canary" } },
    });
    expect(refusal(() => cd.createPolicy(header("x-canary")))).toMatch(/starts with aws-cf-cd-/);
    expect(cd.createPolicy(header("aws-cf-cd-canary")).id).toMatch(/^CDP/);
    expect(cd.createPolicy(byWeight(domain, 0.15)).config.TrafficConfig?.SingleWeightConfig?.Weight).toBe(
      0.15,
    );
  });

  it("keeps the primary untouched while staging changes, then promotes with both ETags", () => {
    const { distributions, cd, primary, advance } = account();
    const staging = cd.copy(primary.id, "stage-1", primary.etag, { staging: true, enabled: true });
    const policy = cd.createPolicy(byWeight(distributions.domainName(staging), 0.05));
    // A policy naming a distribution that is no staging one is refused; this one is taken.
    const stray = cd.createPolicy(byWeight(distributions.domainName(primary), 0.05));
    expect(
      refusal(() =>
        distributions.update(
          primary.id,
          { ...primary.config, ContinuousDeploymentPolicyId: stray.id },
          primary.etag,
        ),
      ),
    ).toMatch(/^InvalidArgument: The policy names no staging distribution/);
    const attached: DistributionConfig = { ...primary.config, ContinuousDeploymentPolicyId: policy.id };
    distributions.update(primary.id, attached, primary.etag);

    const ttl = (d: { config: DistributionConfig }) => d.config.DefaultCacheBehavior?.DefaultTTL;
    const before = ttl(primary);
    const staged = structuredClone(staging.config);
    staged.DefaultCacheBehavior!.DefaultTTL = 600;
    distributions.update(staging.id, staged, staging.etag);
    expect(ttl(primary)).toBe(before);
    expect(ttl(staging)).toBe(600);
    // Staging cannot become a primary, nor the reverse, by an update.
    expect(
      refusal(() => distributions.update(staging.id, { ...staged, Staging: false }, staging.etag)),
    ).toMatch(/^IllegalUpdate: .*Staging/);

    advance(120_000);
    expect(refusal(() => cd.promote(primary.id, staging.id, `${primary.etag}, ESTALE`))).toMatch(
      /^PreconditionFailed/,
    );
    expect(refusal(() => cd.deletePolicy(policy.id, policy.etag))).toMatch(
      /^ContinuousDeploymentPolicyInUse/,
    );
    const promoted = cd.promote(primary.id, staging.id, `${primary.etag}, ${staging.etag}`);
    expect(ttl(promoted)).toBe(600);
    // The primary keeps what is its own: its caller reference, its aliases, its policy; it deploys.
    expect(promoted.config).toMatchObject({
      CallerReference: WEB.config.CallerReference,
      Aliases: WEB.config.Aliases,
      ContinuousDeploymentPolicyId: policy.id,
      Staging: false,
    });
    expect(distributions.status(promoted)).toBe("InProgress");
  });
});
