import {
  type CloudFrontClient,
  CreateResponseHeadersPolicyCommand,
  GetResponseHeadersPolicyConfigCommand,
  ListDistributionsByResponseHeadersPolicyIdCommand,
  ListResponseHeadersPoliciesCommand,
  UpdateResponseHeadersPolicyCommand,
} from "@aws-sdk/client-cloudfront";
import type { CloudFrontGateway } from "./cloudfront-gateway.js";
import { allPages } from "./cloudfront-paging.js";

/** Response headers policies: list, read and update with If-Match, create, list who uses one. */
export function responseHeadersPolicyCalls(
  client: CloudFrontClient,
): Pick<
  CloudFrontGateway,
  | "listResponseHeadersPolicies"
  | "getResponseHeadersPolicyConfig"
  | "updateResponseHeadersPolicy"
  | "createResponseHeadersPolicy"
  | "listDistributionsByResponseHeadersPolicy"
> {
  return {
    async listResponseHeadersPolicies() {
      return allPages(async (marker) => {
        const out = await client.send(
          new ListResponseHeadersPoliciesCommand({ MaxItems: 100, ...(marker ? { Marker: marker } : {}) }),
        );
        return {
          items: (out.ResponseHeadersPolicyList?.Items ?? []).flatMap((item) => {
            const policy = item.ResponseHeadersPolicy;
            return policy?.Id
              ? [
                  {
                    id: policy.Id,
                    name: policy.ResponseHeadersPolicyConfig?.Name ?? policy.Id,
                    managed: item.Type === "managed",
                  },
                ]
              : [];
          }),
          next: out.ResponseHeadersPolicyList?.NextMarker,
        };
      });
    },

    async getResponseHeadersPolicyConfig(policyId) {
      const out = await client.send(new GetResponseHeadersPolicyConfigCommand({ Id: policyId }));
      if (!out.ResponseHeadersPolicyConfig || !out.ETag)
        throw new Error(`GetResponseHeadersPolicyConfig returned no config for ${policyId}`);
      return { config: out.ResponseHeadersPolicyConfig, etag: out.ETag };
    },

    async updateResponseHeadersPolicy(policyId, config, ifMatch) {
      const out = await client.send(
        new UpdateResponseHeadersPolicyCommand({
          Id: policyId,
          IfMatch: ifMatch,
          ResponseHeadersPolicyConfig: config,
        }),
      );
      const requestId = out.$metadata?.requestId;
      return { etag: out.ETag ?? "", ...(requestId ? { requestId } : {}) };
    },

    async createResponseHeadersPolicy(config) {
      const out = await client.send(
        new CreateResponseHeadersPolicyCommand({ ResponseHeadersPolicyConfig: config }),
      );
      if (!out.ResponseHeadersPolicy?.Id) throw new Error("CreateResponseHeadersPolicy returned no policy");
      const requestId = out.$metadata?.requestId;
      return { id: out.ResponseHeadersPolicy.Id, ...(requestId ? { requestId } : {}) };
    },

    async listDistributionsByResponseHeadersPolicy(policyId) {
      return allPages(async (marker) => {
        const out = await client.send(
          new ListDistributionsByResponseHeadersPolicyIdCommand({
            ResponseHeadersPolicyId: policyId,
            MaxItems: 100,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        const list = out.DistributionIdList;
        return { items: list?.Items ?? [], next: list?.IsTruncated ? list.NextMarker : undefined };
      });
    },
  };
}
