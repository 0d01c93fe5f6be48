import type { ContinuousDeploymentPolicyConfig, DistributionConfig } from "../aws/cloudfront-gateway.js";
import { awsError, refuseStaleIfMatch } from "./simulated-aws-errors.js";
import type { Distribution, SimulatedDistributions } from "./simulated-distributions.js";

/** A continuous-deployment policy as the model keeps it. */
export type ContinuousDeploymentPolicy = {
  id: string;
  config: ContinuousDeploymentPolicyConfig;
  etag: string;
  modifiedAt: number;
};

/** AWS's documented quotas: staging distributions and policies per account, the weight, stickiness. */
const MAX_STAGING = 20;
const MAX_POLICIES = 20;
const MAX_WEIGHT = 0.15;
const STICKINESS_SECONDS: [number, number] = [300, 3600];
/** A header-based policy's header must carry CloudFront's prefix. */
const HEADER_PREFIX = "aws-cf-cd-";

const clone = <T>(value: T): T => structuredClone(value);
const usesHttp3 = (config: DistributionConfig) => /3/.test(config.HttpVersion ?? "");

/**
 * CloudFront's continuous deployment, as its API reference and developer guide document it, over
 * one account's distributions: CopyDistribution makes a staging copy (`Staging`, no aliases) with
 * the primary's ETag; a policy names the staging distribution's domain and sends it a weight (at
 * most 15 %, stickiness 300–3600 s) or the requests with an `aws-cf-cd-` header; a primary takes a
 * policy through UpdateDistribution; UpdateDistributionWithStagingConfig copies the staging config
 * onto the primary with both ETags. Distributions with HTTP/3 cannot take part.
 */
export class SimulatedContinuousDeployment {
  private readonly policies = new Map<string, ContinuousDeploymentPolicy>();

  constructor(
    private readonly distributions: SimulatedDistributions,
    private readonly clock: () => number,
    private readonly newId: () => string,
    private readonly newETag: () => string,
  ) {
    distributions.refuseUpdate = (d, next) => this.refuseUpdate(d, next);
  }

  list(): ContinuousDeploymentPolicy[] {
    return [...this.policies.values()];
  }

  restore(policies: readonly ContinuousDeploymentPolicy[]): void {
    this.policies.clear();
    for (const p of policies) this.policies.set(p.id, clone(p));
  }

  /** CopyDistribution: a staging (or plain) copy of the primary, made with the primary's ETag. */
  copy(
    primaryId: string,
    callerReference: string,
    ifMatch: string | undefined,
    options: { staging: boolean; enabled: boolean },
  ): Distribution {
    const primary = this.distributions.get(primaryId);
    refuseStaleIfMatch(ifMatch, primary.etag);
    if (primary.config.Staging)
      throw awsError("InvalidArgument", "A staging distribution cannot be copied.", 400);
    if (options.staging && usesHttp3(primary.config))
      throw awsError(
        "InvalidArgument",
        "Continuous deployment is not supported for distributions with HTTP/3 enabled.",
        400,
      );
    if (options.staging && this.distributions.list().filter((d) => d.config.Staging).length >= MAX_STAGING)
      throw awsError(
        "TooManyDistributions",
        `An account may have ${MAX_STAGING} staging distributions.`,
        400,
      );
    const { ContinuousDeploymentPolicyId: _policy, ...rest } = primary.config;
    return this.distributions.create({
      ...clone(rest),
      CallerReference: callerReference,
      Staging: options.staging,
      Enabled: options.enabled,
      // A staging distribution serves no aliases of its own: the primary's policy sends it traffic.
      Aliases: { Quantity: 0 },
    });
  }

  createPolicy(config: ContinuousDeploymentPolicyConfig): ContinuousDeploymentPolicy {
    if (this.policies.size >= MAX_POLICIES)
      throw awsError(
        "TooManyContinuousDeploymentPolicies",
        `An account may have ${MAX_POLICIES} continuous deployment policies.`,
        400,
      );
    this.refuseConfig(config);
    const policy = {
      id: this.newId(),
      config: clone(config),
      etag: this.newETag(),
      modifiedAt: this.clock(),
    };
    this.policies.set(policy.id, policy);
    return policy;
  }

  policy(id: string): ContinuousDeploymentPolicy {
    const found = this.policies.get(id);
    if (!found)
      throw awsError(
        "NoSuchContinuousDeploymentPolicy",
        "The continuous deployment policy does not exist.",
        404,
      );
    return found;
  }

  updatePolicy(
    id: string,
    config: ContinuousDeploymentPolicyConfig,
    ifMatch: string | undefined,
  ): ContinuousDeploymentPolicy {
    const policy = this.policy(id);
    refuseStaleIfMatch(ifMatch, policy.etag);
    this.refuseConfig(config);
    policy.config = clone(config);
    policy.etag = this.newETag();
    policy.modifiedAt = this.clock();
    // The primary that uses it deploys the new traffic split.
    for (const d of this.distributions.list())
      if (d.config.ContinuousDeploymentPolicyId === id) this.distributions.redeploy(d.id);
    return policy;
  }

  deletePolicy(id: string, ifMatch: string | undefined): void {
    const policy = this.policy(id);
    refuseStaleIfMatch(ifMatch, policy.etag);
    if (this.distributions.list().some((d) => d.config.ContinuousDeploymentPolicyId === id))
      throw awsError(
        "ContinuousDeploymentPolicyInUse",
        "A distribution uses this continuous deployment policy: detach it first.",
        409,
      );
    this.policies.delete(id);
  }

  /**
   * UpdateDistributionWithStagingConfig: the staging distribution's config onto the primary (its
   * own CallerReference, aliases, policy and role kept), If-Match holding both ETags, primary's first.
   */
  promote(primaryId: string, stagingId: string, ifMatch: string | undefined): Distribution {
    const primary = this.distributions.get(primaryId);
    const staging = this.distributions.get(stagingId);
    const [primaryEtag, stagingEtag] = (ifMatch ?? "").split(",").map((e) => e.trim());
    refuseStaleIfMatch(primaryEtag, primary.etag);
    refuseStaleIfMatch(stagingEtag, staging.etag);
    const policy = primary.config.ContinuousDeploymentPolicyId
      ? this.policies.get(primary.config.ContinuousDeploymentPolicyId)
      : undefined;
    if (!staging.config.Staging || !policy || !this.names(policy, staging))
      throw awsError(
        "InvalidArgument",
        "The staging distribution is not the one the primary's continuous deployment policy names.",
        400,
      );
    const {
      CallerReference: _ref,
      Aliases: _aliases,
      Staging: _staging,
      ContinuousDeploymentPolicyId: _policy,
      ...promoted
    } = staging.config;
    return this.distributions.update(
      primaryId,
      { ...primary.config, ...clone(promoted), Staging: false },
      primary.etag,
    );
  }

  /** The staging copy a primary's policy sends traffic to now (the policy on), if any. */
  servingCopyOf(primaryId: string): Distribution | undefined {
    const policyId = this.distributions.get(primaryId).config.ContinuousDeploymentPolicyId;
    const policy = policyId ? this.policies.get(policyId) : undefined;
    if (!policy?.config.Enabled) return undefined;
    return this.distributions.list().find((d) => d.config.Staging && this.names(policy, d));
  }

  /** A primary may take only a policy that names a staging distribution; HTTP/3 refuses both. */
  private refuseUpdate(d: Distribution, next: DistributionConfig): void {
    const id = next.ContinuousDeploymentPolicyId;
    if (!id || id === d.config.ContinuousDeploymentPolicyId) return;
    const policy = this.policy(id);
    if (d.config.Staging)
      throw awsError(
        "InvalidArgument",
        "A staging distribution cannot use a continuous deployment policy.",
        400,
      );
    if (usesHttp3(next))
      throw awsError(
        "InvalidArgument",
        "Continuous deployment is not supported for distributions with HTTP/3 enabled.",
        400,
      );
    const staging = this.distributions.list().find((s) => s.config.Staging && this.names(policy, s));
    if (!staging)
      throw awsError("InvalidArgument", "The policy names no staging distribution of this account.", 400);
  }

  private names(policy: ContinuousDeploymentPolicy, staging: Distribution): boolean {
    return (policy.config.StagingDistributionDnsNames?.Items ?? []).includes(
      this.distributions.domainName(staging),
    );
  }

  private refuseConfig(config: ContinuousDeploymentPolicyConfig): void {
    const names = config.StagingDistributionDnsNames;
    if (names?.Quantity !== 1 || names.Items?.length !== 1)
      throw awsError("InvalidArgument", "A policy names exactly one staging distribution.", 400);
    const traffic = config.TrafficConfig;
    const weight = traffic?.SingleWeightConfig;
    const header = traffic?.SingleHeaderConfig;
    if (traffic?.Type === "SingleWeight") {
      if (!weight || !(weight.Weight !== undefined && weight.Weight > 0 && weight.Weight <= MAX_WEIGHT))
        throw awsError("InvalidArgument", `A weight is more than 0 and at most ${MAX_WEIGHT}.`, 400);
      const sticky = weight.SessionStickinessConfig;
      const [min, max] = STICKINESS_SECONDS;
      if (
        sticky &&
        !(
          (sticky.IdleTTL ?? 0) >= min &&
          (sticky.MaximumTTL ?? 0) <= max &&
          (sticky.IdleTTL ?? 0) <= (sticky.MaximumTTL ?? 0)
        )
      )
        throw awsError("InvalidArgument", `Session stickiness lasts ${min} to ${max} seconds.`, 400);
    } else if (traffic?.Type === "SingleHeader") {
      if (!header?.Header?.toLowerCase().startsWith(HEADER_PREFIX) || !header.Value)
        throw awsError(
          "InvalidArgument",
          `The header's name starts with ${HEADER_PREFIX}, and it has a value.`,
          400,
        );
    } else throw awsError("InvalidArgument", "A policy sends traffic by weight or by header.", 400);
  }
}
