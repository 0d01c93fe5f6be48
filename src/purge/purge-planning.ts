import { authorizeRequest } from "../approvals/authorize-request.js";
import { type GroupLookup, purgeActions } from "../approvals/policy.js";
import { describeAwsError } from "../aws/aws-errors.js";
import type { DistributionInfo, InvalidationGateway } from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import type { DistributionCheck } from "../distributions/distribution-check.js";
import { tenantNamed } from "../distributions/distribution-tenants.js";
import { UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { PurgeOperation } from "../store/records.js";
import { quote } from "../text/plain-text.js";
import { type PathNote, planPaths } from "./invalidation-paths.js";

/**
 * What a received purge becomes before any decision: who may ask, whether CloudFront has the
 * distribution (and the tenant), and its items as CloudFront takes them. Nothing here writes.
 */
export type PlanningDeps = {
  config: CdnbotConfig;
  directory: DistributionDirectory;
  membersOf: GroupLookup;
  distributions: DistributionCheck;
  cloudfront: InvalidationGateway;
  logger: Logger;
};

async function readDistribution(deps: PlanningDeps, id: string): Promise<DistributionInfo> {
  try {
    return await deps.cloudfront.getDistribution(id);
  } catch (error) {
    const problem = describeAwsError(error);
    deps.logger.warn("GetDistribution failed", { distributionId: id, code: problem.code });
    throw new UserError(`I could not read distribution ${id}: ${problem.explanation}`);
  }
}

function describePathNote(note: PathNote): string {
  switch (note.reason) {
    case "url-converted":
      return `${quote(note.input)} was turned into its path ${quote(note.path)}.`;
    case "encoded":
      return `${quote(note.input)} was URL-encoded to ${quote(note.path)}, as CloudFront expects.`;
    case "duplicate-dropped":
      return `${quote(note.input)} was given more than once; it is purged once.`;
    case "covered-by-wildcard":
      return `${quote(note.input)} is already covered by a wildcard in this purge, so it was left out.`;
  }
}

/** Who may ask, whether CloudFront has the distribution, and the paths as CloudFront takes them. */
export async function planReceived(
  deps: PlanningDeps,
  request: { distribution: string; paths: string[]; actor: { userId: string }; channelId: string },
  tenant?: PurgeOperation["tenant"],
) {
  const { target, policy } = await authorizeRequest(
    deps,
    { ...request, ...(tenant ? { tenant: tenant.name } : {}) },
    "purge",
  );
  await deps.distributions.ensureUsable(target.alias, target.id);
  const tenantId = tenant
    ? (await tenantNamed(deps.cloudfront, target, tenant.name, "Nothing was purged.")).id
    : undefined;
  const needsHosts = request.paths.some((p) => /^https?:\/\//i.test(p));
  let dist = needsHosts ? await readDistribution(deps, target.id) : undefined;
  const plan = planPaths(request.paths, { domainName: dist?.domainName ?? "", aliases: dist?.aliases ?? [] });
  if (plan.tagCount > 0) {
    // CloudFront ignores tag items on a distribution that reads no cache tags: refuse, and say how.
    dist ??= await readDistribution(deps, target.id);
    if (!dist.cacheTagHeader)
      throw new UserError(
        `${quote(target.alias)} reads no cache tags from its origin, so CloudFront would purge nothing by tag. ` +
          `Turn them on with \`/cdn cache-tags ${target.alias} header=<the response header your origin lists tags in>\` ` +
          "(e.g. `Cache-Tag`), or purge by path. Nothing was purged.",
      );
  }
  const actions = purgeActions(plan.paths);
  return {
    target,
    policy,
    plan,
    notes: plan.notes.map(describePathNote),
    action: actions[0],
    actions,
    ...(tenant && tenantId ? { tenant: { name: tenant.name, id: tenantId } } : {}),
  };
}
