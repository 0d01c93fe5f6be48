import type { ParameterDefinition, TenantDocument, TenantInfo } from "../aws/cloudfront-gateway.js";
import { awsError, refuseStaleIfMatch } from "./simulated-aws-errors.js";

/** A distribution tenant of a multi-tenant distribution, as the model keeps it. */
export type Tenant = {
  id: string;
  distributionId: string;
  name: string;
  domains: string[];
  parameters: { name: string; value: string }[];
  enabled: boolean;
  /** Its own web ACL (a customization over the distribution's); absent: none of its own. */
  webAclArn?: string;
  etag: string;
  createdAt: number;
  modifiedAt: number;
  /** Until then an update is deploying (`InProgress`); absent in older files: Deployed. */
  deployedAt?: number;
};

/** What UpdateDistributionTenant replaces: the tenant's domains, parameters and whether it serves. */
export type TenantUpdate = {
  domains: string[];
  parameters: { name: string; value: string }[];
  enabled: boolean;
};

const clone = <T>(value: T): T => structuredClone(value);

/**
 * The tenants of multi-tenant distributions, as AWS's API reference documents them: each belongs to
 * one distribution and has its own domains (a domain serves one tenant), parameters and ETag; it is
 * found by id, by name or by one of its domains. Its invalidations are its own (kept by the
 * invalidations part under the tenant's id, never listed under the parent). An update or a web ACL
 * (AssociateDistributionTenantWebACL) checks If-Match, makes a new ETag and deploys for a while.
 */
export class SimulatedTenants {
  private readonly byId = new Map<string, Tenant>();

  constructor(
    private readonly clock: () => number,
    private readonly newId: () => string,
    private readonly newETag: () => string,
    private readonly deployMs: () => number = () => 0,
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

  status(t: Tenant): "InProgress" | "Deployed" {
    return this.clock() < (t.deployedAt ?? 0) ? "InProgress" : "Deployed";
  }

  /**
   * UpdateDistributionTenant: with the tenant's current ETag, at least one domain (at most 5), and
   * every parameter the distribution defines as required given a value, none it does not define.
   */
  update(
    id: string,
    update: TenantUpdate,
    ifMatch: string | undefined,
    definitions: readonly ParameterDefinition[],
  ): Tenant {
    const t = this.get(id);
    refuseStaleIfMatch(ifMatch, t.etag);
    if (update.domains.length < 1 || update.domains.length > 5)
      throw awsError("InvalidArgument", "A distribution tenant has 1 to 5 domains.", 400);
    const defined = new Set(definitions.map((d) => d.Name));
    const unknown = update.parameters.find((p) => !defined.has(p.name));
    if (unknown)
      throw awsError(
        "InvalidArgument",
        `The parameter ${unknown.name} is not defined by the multi-tenant distribution.`,
        400,
      );
    const missing = definitions.find(
      (d) => d.Definition?.StringSchema?.Required && !update.parameters.some((p) => p.name === d.Name),
    );
    if (missing)
      throw awsError("InvalidArgument", `The required parameter ${missing.Name} has no value.`, 400);
    Object.assign(t, clone(update));
    this.written(t);
    return t;
  }

  /** Associate (an ARN) or disassociate (null) the tenant's own web ACL, with its current ETag. */
  setWebAcl(id: string, webAclArn: string | null, ifMatch: string | undefined): Tenant {
    const t = this.get(id);
    refuseStaleIfMatch(ifMatch, t.etag);
    if (webAclArn === null && !t.webAclArn)
      throw awsError("EntityNotFound", "The distribution tenant has no web ACL to disassociate.", 404);
    if (webAclArn === null) delete t.webAclArn;
    else t.webAclArn = webAclArn;
    this.written(t);
    return t;
  }

  private written(t: Tenant): void {
    t.etag = this.newETag();
    t.modifiedAt = this.clock();
    t.deployedAt = this.clock() + this.deployMs();
  }
}

/** A tenant as the gateway answers it (`status` as its deploy stands). */
export function tenantInfo(t: Tenant, status: string = "Deployed"): TenantInfo {
  return {
    id: t.id,
    distributionId: t.distributionId,
    name: t.name,
    domains: [...t.domains],
    parameters: t.parameters.map((p) => ({ ...p })),
    enabled: t.enabled,
    status,
    ...(t.webAclArn ? { webAclArn: t.webAclArn } : {}),
  };
}

/** A tenant as a change reads it from the gateway. */
export function tenantDocument(t: Tenant): TenantDocument {
  return {
    Name: t.name,
    DistributionId: t.distributionId,
    Domains: [...t.domains],
    Enabled: t.enabled,
    Parameters: Object.fromEntries(t.parameters.map((p) => [p.name, p.value])),
    WebACLArn: t.webAclArn ?? "",
  };
}

/** What a written tenant document updates. */
export function tenantUpdate(doc: TenantDocument): TenantUpdate {
  return {
    domains: [...doc.Domains],
    parameters: Object.entries(doc.Parameters).map(([name, value]) => ({ name, value })),
    enabled: doc.Enabled,
  };
}
