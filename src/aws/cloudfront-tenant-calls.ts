import {
  type CloudFrontClient,
  type DistributionTenant,
  type DistributionTenantSummary,
  GetDistributionTenantByDomainCommand,
  GetDistributionTenantCommand,
  ListDistributionTenantsCommand,
} from "@aws-sdk/client-cloudfront";
import type { CloudFrontGateway, TenantInfo } from "./cloudfront-gateway.js";
import { allPages } from "./cloudfront-paging.js";

/**
 * Tenants of multi-tenant distributions: list a distribution's, find one by id, name or domain.
 */
export function tenantCalls(
  client: CloudFrontClient,
): Pick<
  CloudFrontGateway,
  "listDistributionTenants" | "getDistributionTenant" | "getDistributionTenantByDomain"
> {
  return {
    listDistributionTenants: (distributionId) =>
      allPages(async (marker) => {
        const out = await client.send(
          new ListDistributionTenantsCommand({
            AssociationFilter: { DistributionId: distributionId },
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        return { items: (out.DistributionTenantList ?? []).map(toTenantInfo), next: out.NextMarker };
      }),

    async getDistributionTenant(identifier) {
      const out = await client.send(new GetDistributionTenantCommand({ Identifier: identifier }));
      if (!out.DistributionTenant?.Id)
        throw new Error(`GetDistributionTenant returned nothing for ${identifier}`);
      return { ...toTenantInfo(out.DistributionTenant), ...(out.ETag ? { etag: out.ETag } : {}) };
    },

    async getDistributionTenantByDomain(domain) {
      const out = await client.send(new GetDistributionTenantByDomainCommand({ Domain: domain }));
      if (!out.DistributionTenant?.Id)
        throw new Error(`GetDistributionTenantByDomain returned nothing for ${domain}`);
      return { ...toTenantInfo(out.DistributionTenant), ...(out.ETag ? { etag: out.ETag } : {}) };
    },
  };
}

function toTenantInfo(t: DistributionTenant | DistributionTenantSummary): TenantInfo {
  const parameters = "Parameters" in t ? (t.Parameters ?? []) : [];
  return {
    id: t.Id ?? "",
    distributionId: t.DistributionId ?? "",
    name: t.Name ?? "",
    domains: (t.Domains ?? []).map((d) => d.Domain ?? "").filter(Boolean),
    parameters: parameters.map((p) => ({ name: p.Name ?? "", value: p.Value ?? "" })),
    enabled: t.Enabled ?? true,
    status: t.Status ?? "Deployed",
  };
}
