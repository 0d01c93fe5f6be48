import {
  type CloudFrontClient,
  CopyDistributionCommand,
  CreateContinuousDeploymentPolicyCommand,
  GetContinuousDeploymentPolicyConfigCommand,
  UpdateContinuousDeploymentPolicyCommand,
  UpdateDistributionWithStagingConfigCommand,
} from "@aws-sdk/client-cloudfront";
import type { CloudFrontGateway } from "./cloudfront-gateway.js";

const requestIdOf = (out: { $metadata?: { requestId?: string } }) =>
  out.$metadata?.requestId ? { requestId: out.$metadata.requestId } : {};

/**
 * Continuous deployment: a primary's staging copy (CopyDistribution with `Staging`), the policy that
 * sends it part of the traffic, and the promotion of its config onto the primary
 * (UpdateDistributionWithStagingConfig, both ETags in If-Match).
 */
export function stagingCalls(
  client: CloudFrontClient,
): Pick<
  CloudFrontGateway,
  | "copyToStaging"
  | "getContinuousDeploymentPolicy"
  | "createContinuousDeploymentPolicy"
  | "updateContinuousDeploymentPolicy"
  | "promoteStagingConfig"
> {
  return {
    async copyToStaging(primaryId, callerReference, ifMatch) {
      const out = await client.send(
        new CopyDistributionCommand({
          PrimaryDistributionId: primaryId,
          CallerReference: callerReference,
          IfMatch: ifMatch,
          Staging: true,
          Enabled: true,
        }),
      );
      const dist = out.Distribution;
      if (!dist?.Id) throw new Error(`CopyDistribution returned no distribution for ${primaryId}`);
      return { id: dist.Id, domainName: dist.DomainName ?? "", etag: out.ETag ?? "", ...requestIdOf(out) };
    },

    async getContinuousDeploymentPolicy(policyId) {
      const out = await client.send(new GetContinuousDeploymentPolicyConfigCommand({ Id: policyId }));
      if (!out.ContinuousDeploymentPolicyConfig || !out.ETag)
        throw new Error(`GetContinuousDeploymentPolicyConfig returned no config for ${policyId}`);
      return { config: out.ContinuousDeploymentPolicyConfig, etag: out.ETag };
    },

    async createContinuousDeploymentPolicy(config) {
      const out = await client.send(
        new CreateContinuousDeploymentPolicyCommand({ ContinuousDeploymentPolicyConfig: config }),
      );
      const id = out.ContinuousDeploymentPolicy?.Id;
      if (!id) throw new Error("CreateContinuousDeploymentPolicy returned no policy");
      return { id, etag: out.ETag ?? "", ...requestIdOf(out) };
    },

    async updateContinuousDeploymentPolicy(policyId, config, ifMatch) {
      const out = await client.send(
        new UpdateContinuousDeploymentPolicyCommand({
          Id: policyId,
          IfMatch: ifMatch,
          ContinuousDeploymentPolicyConfig: config,
        }),
      );
      return { etag: out.ETag ?? "", ...requestIdOf(out) };
    },

    async promoteStagingConfig(primaryId, stagingId, ifMatch) {
      const out = await client.send(
        new UpdateDistributionWithStagingConfigCommand({
          Id: primaryId,
          StagingDistributionId: stagingId,
          IfMatch: ifMatch,
        }),
      );
      return { etag: out.ETag ?? "", ...requestIdOf(out) };
    },
  };
}
