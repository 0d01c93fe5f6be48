import type { TenantInfo } from "../aws/cloudfront-gateway.js";
import { awsError } from "./simulated-aws-errors.js";

/** A distribution tenant of a multi-tenant distribution, as the model keeps it. */
export type Tenant = {
  id: string;
  distributionId: string;
  name: string;
  domains: string[];
  parameters: { name: string; value: string }[];
  enabled: boolean;
  etag: string;
  createdAt: number;
  modifiedAt: number;
};

const clone = <T>(value: T): T => structuredClone(value);

/**
 * The tenants of multi-tenant distributions, as AWS's API reference documents them: each belongs to
 * one distribution and has its own domains (a domain serves one tenant), parameters and ETag; it is
 * found by id, by name or by one of its domains. Its invalidations are its own (kept by the
 * invalidations part under the tenant's id, never listed under the parent).
 */
export class SimulatedTenants {
  private readonly byId = new Map<string, Tenant>();

  constructor(
    private readonly clock: () => number,
    private readonly newId: () => string,
    private readonly newETag: () => string,
  ) {}

  add(tenant: Omit<Tenant, "id" | "etag" | "createdAt" | "modifiedAt"> & { id?: string }): Tenant {
    const taken = tenant.domains.find((domain) => this.byDomain(domain));
    if (taken)
      throw awsError("CNAMEAlreadyExists", `The domain ${taken} already serves another tenant.`, 409);
    const made: Tenant = {
      ...clone(tenant),
      id: tenant.id ?? this.newId(),
      etag: this.newETag(),
      createdAt: this.clock(),
      modifiedAt: this.clock(),
    };
    this.byId.set(made.id, made);
    return made;
  }

  list(): Tenant[] {
    return [...this.byId.values()];
  }

  restore(tenants: readonly Tenant[]): void {
    this.byId.clear();
    for (const t of tenants) this.byId.set(t.id, clone(t));
  }

  /** A distribution's tenants, in the order they were made. */
  of(distributionId: string): Tenant[] {
    return this.list().filter((t) => t.distributionId === distributionId);
  }

  /** By id or by name (GetDistributionTenant takes either). */
  get(identifier: string): Tenant {
    const found = this.byId.get(identifier) ?? this.list().find((t) => t.name === identifier);
    if (!found) throw awsError("EntityNotFound", "The specified distribution tenant does not exist.", 404);
    return found;
  }

  byDomain(domain: string): Tenant | undefined {
    return this.list().find((t) => t.domains.some((d) => d.toLowerCase() === domain.toLowerCase()));
  }
}

/** A tenant as the gateway answers it. */
export function tenantInfo(t: Tenant): TenantInfo {
  return {
    id: t.id,
    distributionId: t.distributionId,
    name: t.name,
    domains: [...t.domains],
    parameters: t.parameters.map((p) => ({ ...p })),
    enabled: t.enabled,
    status: "Deployed",
  };
}
