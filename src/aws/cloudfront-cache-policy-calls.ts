import {
  type CloudFrontClient,
  CreateCachePolicyCommand,
  GetCachePolicyConfigCommand,
  ListCachePoliciesCommand,
  ListDistributionsByCachePolicyIdCommand,
  UpdateCachePolicyCommand,
} from "@aws-sdk/client-cloudfront";
import type { CloudFrontGateway } from "./cloudfront-gateway.js";
import { allPages } from "./cloudfront-paging.js";

/** Cache policies: read and update with If-Match, create, find the custom one by name, list the managed ones and who uses one. */
export function cachePolicyCalls(
  client: CloudFrontClient,
): Pick<
  CloudFrontGateway,
  | "getCachePolicyConfig"
  | "updateCachePolicy"
  | "createCachePolicy"
  | "findCustomCachePolicy"
  | "listManagedCachePolicyIds"
  | "listDistributionsByCachePolicy"
> {
  return {
    async getCachePolicyConfig(policyId) {
      const out = await client.send(new GetCachePolicyConfigCommand({ Id: policyId }));
      if (!out.CachePolicyConfig || !out.ETag)
        throw new Error(`GetCachePolicyConfig returned no config for ${policyId}`);
      return { config: out.CachePolicyConfig, etag: out.ETag };
    },

    async updateCachePolicy(policyId, config, ifMatch) {
      const out = await client.send(
        new UpdateCachePolicyCommand({ Id: policyId, IfMatch: ifMatch, CachePolicyConfig: config }),
      );
      const requestId = out.$metadata?.requestId;
      return { etag: out.ETag ?? "", ...(requestId ? { requestId } : {}) };
    },

    async createCachePolicy(config) {
      const out = await client.send(new CreateCachePolicyCommand({ CachePolicyConfig: config }));
      if (!out.CachePolicy?.Id) throw new Error("CreateCachePolicy returned no policy");
      const requestId = out.$metadata?.requestId;
      return { id: out.CachePolicy.Id, etag: out.ETag ?? "", ...(requestId ? { requestId } : {}) };
    },

    async findCustomCachePolicy(name) {
      const custom = await allPages(async (marker) => {
        const out = await client.send(
          new ListCachePoliciesCommand({
            Type: "custom",
            MaxItems: 100,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        return { items: out.CachePolicyList?.Items ?? [], next: out.CachePolicyList?.NextMarker };
      });
      return custom.find((i) => i.CachePolicy?.CachePolicyConfig?.Name === name)?.CachePolicy?.Id;
    },

    async listManagedCachePolicyIds() {
      return allPages(async (marker) => {
        const out = await client.send(
          new ListCachePoliciesCommand({
            Type: "managed",
            MaxItems: 100,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        return {
          items: (out.CachePolicyList?.Items ?? []).flatMap((i) =>
            i.CachePolicy?.Id ? [i.CachePolicy.Id] : [],
          ),
          next: out.CachePolicyList?.NextMarker,
        };
      });
    },

    async listDistributionsByCachePolicy(policyId) {
      return allPages(async (marker) => {
        const out = await client.send(
          new ListDistributionsByCachePolicyIdCommand({
            CachePolicyId: policyId,
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
