import {
  AssociateDistributionWebACLCommand,
  type CloudFrontClient,
  CreateDistributionCommand,
  DeleteDistributionCommand,
  DisassociateDistributionWebACLCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
  ListTagsForResourceCommand,
  UpdateDistributionCommand,
} from "@aws-sdk/client-cloudfront";
import type { CloudFrontGateway } from "./cloudfront-gateway.js";
import { allPages } from "./cloudfront-paging.js";

/** Distributions: read, update with If-Match, create, list, delete. */
export function distributionCalls(
  client: CloudFrontClient,
  /**
   * The account the client's credentials act in, for a distribution's ARN; without it the ARN is
   * read with GetDistribution (one more call, which the status polls of the lease holder also make).
   */
  accountId?: () => Promise<string>,
): Pick<
  CloudFrontGateway,
  | "getDistribution"
  | "getDistributionTags"
  | "getDistributionConfig"
  | "updateDistribution"
  | "createDistribution"
  | "listDistributions"
  | "deleteDistribution"
> {
  return {
    async getDistribution(distributionId) {
      const out = await client.send(new GetDistributionCommand({ Id: distributionId }));
      const dist = out.Distribution;
      if (!dist?.Id) throw new Error(`GetDistribution returned no distribution for ${distributionId}`);
      const config = dist.DistributionConfig;
      return {
        id: dist.Id,
        arn: dist.ARN ?? "",
        domainName: dist.DomainName ?? "",
        aliases: config?.Aliases?.Items ?? [],
        status: dist.Status ?? "Unknown",
        enabled: config?.Enabled ?? false,
        comment: config?.Comment ?? "",
        ...(dist.LastModifiedTime ? { lastModified: dist.LastModifiedTime } : {}),
        ...(config?.CacheTagConfig?.HeaderName ? { cacheTagHeader: config.CacheTagConfig.HeaderName } : {}),
      };
    },

    async getDistributionTags(distributionId) {
      // Tags are read by ARN: a distribution's is its account's and its id (CloudFront is global).
      let arn: string | undefined;
      if (accountId) arn = `arn:aws:cloudfront::${await accountId()}:distribution/${distributionId}`;
      else arn = (await client.send(new GetDistributionCommand({ Id: distributionId }))).Distribution?.ARN;
      if (!arn) throw new Error(`GetDistribution returned no ARN for ${distributionId}`);
      const out = await client.send(new ListTagsForResourceCommand({ Resource: arn }));
      return Object.fromEntries(
        (out.Tags?.Items ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? ""]),
      );
    },

    async getDistributionConfig(distributionId) {
      const out = await client.send(new GetDistributionConfigCommand({ Id: distributionId }));
      if (!out.DistributionConfig || !out.ETag)
        throw new Error(`GetDistributionConfig returned no config for ${distributionId}`);
      return { config: out.DistributionConfig, etag: out.ETag };
    },

    async updateDistribution(distributionId, config, ifMatch) {
      const out = await client.send(
        new UpdateDistributionCommand({ Id: distributionId, IfMatch: ifMatch, DistributionConfig: config }),
      );
      const requestId = out.$metadata?.requestId;
      return {
        etag: out.ETag ?? "",
        status: out.Distribution?.Status ?? "InProgress",
        ...(requestId ? { requestId } : {}),
      };
    },

    async createDistribution(config) {
      const out = await client.send(new CreateDistributionCommand({ DistributionConfig: config }));
      const dist = out.Distribution;
      if (!dist?.Id) throw new Error("CreateDistribution returned no distribution");
      const requestId = out.$metadata?.requestId;
      return {
        id: dist.Id,
        domainName: dist.DomainName ?? "",
        etag: out.ETag ?? "",
        status: dist.Status ?? "InProgress",
        ...(requestId ? { requestId } : {}),
      };
    },

    async listDistributions() {
      // A page holds at most 1000; an account's quota is a few hundred, so this is a page or two.
      return allPages(async (marker) => {
        const out = await client.send(
          new ListDistributionsCommand({ MaxItems: 1000, ...(marker ? { Marker: marker } : {}) }),
        );
        const list = out.DistributionList;
        return {
          items: (list?.Items ?? []).flatMap((item) =>
            item.Id
              ? [
                  {
                    id: item.Id,
                    domainName: item.DomainName ?? "",
                    status: item.Status ?? "Unknown",
                    enabled: item.Enabled ?? false,
                    comment: item.Comment ?? "",
                    staging: item.Staging ?? false,
                  },
                ]
              : [],
          ),
          next: list?.IsTruncated ? list.NextMarker : undefined,
        };
      });
    },

    async deleteDistribution(distributionId, ifMatch) {
      const out = await client.send(new DeleteDistributionCommand({ Id: distributionId, IfMatch: ifMatch }));
      const requestId = out.$metadata?.requestId;
      return requestId ? { requestId } : {};
    },
  };
}

/**
 * A distribution's web ACL through CloudFront's own API: AssociateDistributionWebACL, or
 * DisassociateDistributionWebACL for none; the distribution's ETag in If-Match.
 */
export function webAclCalls(client: CloudFrontClient): Pick<CloudFrontGateway, "setDistributionWebAcl"> {
  return {
    async setDistributionWebAcl(distributionId, webAclArn, ifMatch) {
      const out =
        webAclArn === null
          ? await client.send(
              new DisassociateDistributionWebACLCommand({ Id: distributionId, IfMatch: ifMatch }),
            )
          : await client.send(
              new AssociateDistributionWebACLCommand({
                Id: distributionId,
                WebACLArn: webAclArn,
                IfMatch: ifMatch,
              }),
            );
      const requestId = out.$metadata?.requestId;
      return { etag: out.ETag ?? "", ...(requestId ? { requestId } : {}) };
    },
  };
}
