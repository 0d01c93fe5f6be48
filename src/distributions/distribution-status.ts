import { describeAwsError } from "../aws/aws-errors.js";
import type { DistributionInfo, InvalidationGateway, InvalidationInfo } from "../aws/cloudfront-gateway.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";

/** One configured distribution as CloudFront describes it now, or why it could not say. */
export type ListEntry = { alias: string; id: string; description?: string } & (
  | { dist: DistributionInfo }
  | { problem: string }
);

export type DistributionStatus = { alias: string; dist: DistributionInfo; invalidations: InvalidationInfo[] };
export type InvalidationStatus = { alias: string; distributionId: string; invalidation: InvalidationInfo };

export type StatusDeps = {
  directory: DistributionDirectory;
  cloudfront: InvalidationGateway;
  clock: () => number;
};

async function ask<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new UserError(`I could not read ${what}: ${describeAwsError(error).explanation}`);
  }
}

export async function readDistributionStatus(
  deps: StatusDeps,
  nameOrId: string,
): Promise<DistributionStatus> {
  const target = deps.directory.resolve(nameOrId);
  const [dist, invalidations] = await Promise.all([
    ask(`distribution ${target.id}`, () => deps.cloudfront.getDistribution(target.id)),
    ask(`the invalidations of ${target.id}`, () => deps.cloudfront.listInvalidations(target.id, 10)),
  ]);
  return { alias: target.alias, dist, invalidations };
}

export async function readInvalidationStatus(
  deps: StatusDeps,
  nameOrId: string,
  invalidationId: string,
): Promise<InvalidationStatus> {
  const target = deps.directory.resolve(nameOrId);
  if (!/^[A-Z0-9]{6,40}$/i.test(invalidationId)) {
    throw new UserError(
      `${quote(invalidationId.slice(0, 60))} does not look like an invalidation id (e.g. I2J0I21PCUYOIK).`,
    );
  }
  const inv = await ask(`invalidation ${invalidationId}`, () =>
    deps.cloudfront.getInvalidation(target.id, invalidationId.toUpperCase()),
  );
  return { alias: target.alias, distributionId: target.id, invalidation: inv };
}

export function listDistributions(deps: StatusDeps): Promise<ListEntry[]> {
  return Promise.all(
    deps.directory.list().map(async (d): Promise<ListEntry> => {
      const base = { alias: d.alias, id: d.id, ...(d.description ? { description: d.description } : {}) };
      try {
        return { ...base, dist: await deps.cloudfront.getDistribution(d.id) };
      } catch (error) {
        return { ...base, problem: describeAwsError(error).explanation };
      }
    }),
  );
}
