import {
  AssociateDistributionTenantWebACLCommand,
  type CloudFrontClient,
  CreateInvalidationForDistributionTenantCommand,
  DisassociateDistributionTenantWebACLCommand,
  type DistributionTenant,
  type DistributionTenantSummary,
  GetDistributionTenantByDomainCommand,
  GetDistributionTenantCommand,
  GetInvalidationForDistributionTenantCommand,
  ListDistributionTenantsCommand,
  UpdateDistributionTenantCommand,
} from "@aws-sdk/client-cloudfront";
import type { CloudFrontGateway, TenantDocument, TenantInfo } from "./cloudfront-gateway.js";
import { invalidationBatch, toInvalidationInfo } from "./cloudfront-invalidation-calls.js";
import { allPages } from "./cloudfront-paging.js";

/**
 * Tenants of multi-tenant distributions: list a distribution's, find one by id, name or domain,
 * purge one, and change one (UpdateDistributionTenant, its web ACL through its own API).
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
  | "getTenantDocument"
  | "updateDistributionTenant"
  | "setTenantWebAcl"
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

    async getTenantDocument(tenantId) {
      const out = await client.send(new GetDistributionTenantCommand({ Identifier: tenantId }));
      const t = out.DistributionTenant;
      if (!t?.Id || !out.ETag)
        throw new Error(`GetDistributionTenant returned no tenant or ETag for ${tenantId}`);
      return { config: toTenantDocument(t), etag: out.ETag, status: t.Status ?? "Deployed" };
    },

    async updateDistributionTenant(tenantId, tenant, ifMatch) {
      const out = await client.send(
        new UpdateDistributionTenantCommand({
          Id: tenantId,
          IfMatch: ifMatch,
          DistributionId: tenant.DistributionId,
          Domains: tenant.Domains.map((Domain) => ({ Domain })),
          Enabled: tenant.Enabled,
          Parameters: Object.entries(tenant.Parameters).map(([Name, Value]) => ({ Name, Value })),
          ...(tenant.Customizations ? { Customizations: tenant.Customizations } : {}),
          ...(tenant.ConnectionGroupId ? { ConnectionGroupId: tenant.ConnectionGroupId } : {}),
        }),
      );
      const requestId = out.$metadata?.requestId;
      return { etag: out.ETag ?? "", ...(requestId ? { requestId } : {}) };
    },

    async setTenantWebAcl(tenantId, webAclArn, ifMatch) {
      const out = webAclArn
        ? await client.send(
            new AssociateDistributionTenantWebACLCommand({
              Id: tenantId,
              WebACLArn: webAclArn,
              IfMatch: ifMatch,
            }),
          )
        : await client.send(
            new DisassociateDistributionTenantWebACLCommand({ Id: tenantId, IfMatch: ifMatch }),
          );
      const requestId = out.$metadata?.requestId;
      return { etag: out.ETag ?? "", ...(requestId ? { requestId } : {}) };
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

/** The tenant's own web ACL: an `override` names one; `disable` or none leaves none of its own. */
function ownWebAcl(t: DistributionTenant | DistributionTenantSummary): string {
  const acl = t.Customizations?.WebAcl;
  return acl?.Action === "override" ? (acl.Arn ?? "") : "";
}

function toTenantInfo(t: DistributionTenant | DistributionTenantSummary): TenantInfo {
  const parameters = "Parameters" in t ? (t.Parameters ?? []) : [];
  const webAclArn = ownWebAcl(t);
  return {
    id: t.Id ?? "",
    distributionId: t.DistributionId ?? "",
    name: t.Name ?? "",
    domains: (t.Domains ?? []).map((d) => d.Domain ?? "").filter(Boolean),
    parameters: parameters.map((p) => ({ name: p.Name ?? "", value: p.Value ?? "" })),
    enabled: t.Enabled ?? true,
    status: t.Status ?? "Deployed",
    ...(webAclArn ? { webAclArn } : {}),
  };
}

function toTenantDocument(t: DistributionTenant): TenantDocument {
  return {
    Name: t.Name ?? "",
    DistributionId: t.DistributionId ?? "",
    Domains: (t.Domains ?? []).map((d) => d.Domain ?? "").filter(Boolean),
    Enabled: t.Enabled ?? true,
    Parameters: Object.fromEntries((t.Parameters ?? []).map((p) => [p.Name ?? "", p.Value ?? ""])),
    WebACLArn: ownWebAcl(t),
    ...(t.Customizations ? { Customizations: t.Customizations } : {}),
    ...(t.ConnectionGroupId ? { ConnectionGroupId: t.ConnectionGroupId } : {}),
  };
}
