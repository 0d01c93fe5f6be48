import { describeAwsError } from "../aws/aws-errors.js";
import type { CloudFrontGateway, TenantInfo } from "../aws/cloudfront-gateway.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";

export type TenantDeps = {
  directory: DistributionDirectory;
  cloudfront: Pick<
    CloudFrontGateway,
    "listDistributionTenants" | "getDistributionTenant" | "getDistributionTenantByDomain"
  >;
};

export type TenantList = { alias: string; distributionId: string; tenants: TenantInfo[] };
export type TenantView = { alias: string; distributionId: string; tenant: TenantInfo };

async function ask<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const problem = describeAwsError(error);
    if (problem.code === "EntityNotFound" || problem.code === "NoSuchResource")
      throw new UserError(`There is no ${what}.`);
    throw new UserError(`I could not read ${what}: ${problem.explanation}`);
  }
}

/**
 * A tenant of the distribution, by its name, as CloudFront knows it now, or a refusal that ends
 * with what was not done (`nothingDone`).
 */
export async function tenantNamed(
  cloudfront: Pick<CloudFrontGateway, "getDistributionTenant">,
  target: { alias: string; id: string },
  name: string,
  nothingDone: string,
): Promise<TenantInfo> {
  let found: TenantInfo;
  try {
    found = await cloudfront.getDistributionTenant(name, target.id);
  } catch (error) {
    const problem = describeAwsError(error);
    if (problem.code === "EntityNotFound")
      throw new UserError(
        `${quote(target.alias)} has no tenant ${quote(name)}: \`/cdn tenants ${target.alias}\` lists them. ${nothingDone}`,
      );
    throw new UserError(`I could not read tenant ${quote(name)}: ${problem.explanation}`);
  }
  if (found.distributionId !== target.id)
    throw new UserError(
      `${quote(name)} is a tenant of another distribution, not of ${quote(target.alias)}. ${nothingDone}`,
    );
  return found;
}

/** One tenant addressed as `<distribution>/<tenant>` (`/cdn status saas/acme`, `/cdn waf saas/acme show`). */
export async function showTenantAt(deps: TenantDeps, address: string): Promise<TenantView> {
  const { distribution, tenant } = deps.directory.resolveTarget(address);
  return showTenant(deps, distribution.alias, tenant ?? "");
}

/** `/cdn tenants <distribution>`: a multi-tenant distribution's tenants, as CloudFront lists them. */
export async function listTenants(deps: TenantDeps, nameOrId: string): Promise<TenantList> {
  const target = deps.directory.resolve(nameOrId);
  const tenants = await ask(`the tenants of ${target.id}`, () =>
    deps.cloudfront.listDistributionTenants(target.id),
  );
  return { alias: target.alias, distributionId: target.id, tenants };
}

/**
 * `/cdn tenants <distribution> <tenant | domain>`: one tenant, by its name (or id) or by a domain it
 * serves; a tenant of another distribution is not this one's and is refused.
 */
export async function showTenant(deps: TenantDeps, nameOrId: string, which: string): Promise<TenantView> {
  const target = deps.directory.resolve(nameOrId);
  const shown = quote(which.slice(0, 100));
  const tenant = which.includes(".")
    ? await ask(`tenant serving ${shown}`, () =>
        deps.cloudfront.getDistributionTenantByDomain(which, target.id),
      )
    : await ask(`tenant ${shown}`, () => deps.cloudfront.getDistributionTenant(which, target.id));
  if (tenant.distributionId !== target.id)
    throw new UserError(`${shown} is a tenant of another distribution, not of ${quote(target.alias)}.`);
  return { alias: target.alias, distributionId: target.id, tenant };
}
