import {
  type CloudFrontClient,
  CreateInvalidationForDistributionTenantCommand,
  type DistributionTenant,
  type DistributionTenantSummary,
  GetDistributionTenantByDomainCommand,
  GetDistributionTenantCommand,
  GetInvalidationForDistributionTenantCommand,
  ListDistributionTenantsCommand,
} from "@aws-sdk/client-cloudfront";
import type { CloudFrontGateway, TenantInfo } from "./cloudfront-gateway.js";
import { invalidationBatch, toInvalidationInfo } from "./cloudfront-invalidation-calls.js";
import { allPages } from "./cloudfront-paging.js";

/**
 * Tenants of multi-tenant distributions: list a distribution's, find one by id, name or domain.
 */
export function tenantCalls(
  client: CloudFrontClient,
): Pick<
  CloudFrontGateway,
  | "listDistributionTenants"
  | "getDistributionTenant"
  | "getDistributionTenantByDomain"
  | "createTenantInvalidation"
  | "getTenantInvalidation"
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

    async createTenantInvalidation(tenantId, paths, callerReference) {
      const out = await client.send(
        new CreateInvalidationForDistributionTenantCommand({
          Id: tenantId,
          InvalidationBatch: invalidationBatch(paths, callerReference),
        }),
      );
      if (!out.Invalidation?.Id)
        throw new Error(`CreateInvalidationForDistributionTenant returned nothing for ${tenantId}`);
      const requestId = out.$metadata?.requestId;
      return { ...toInvalidationInfo(out.Invalidation), ...(requestId ? { requestId } : {}) };
    },

    async getTenantInvalidation(tenantId, invalidationId) {
      const out = await client.send(
        new GetInvalidationForDistributionTenantCommand({
          DistributionTenantId: tenantId,
          Id: invalidationId,
        }),
      );
      if (!out.Invalidation?.Id)
        throw new Error(`GetInvalidationForDistributionTenant returned nothing for ${invalidationId}`);
      return toInvalidationInfo(out.Invalidation);
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
