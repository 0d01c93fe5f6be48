import type { PurgeBatch, PurgePreview } from "../store/records.js";
import { formatCount, plural } from "../text/plain-text.js";
import { type CostEstimate, FREE_PATHS_PER_MONTH } from "./invalidation-cost.js";
import { CLOUDFRONT_PATH_LIMITS, isTag, isWildcard, type PathPlan } from "./invalidation-paths.js";

/** Batches CloudFront is working on: what takes room under its in-flight quotas now. */
const AT_CLOUDFRONT: ReadonlySet<PurgeBatch["state"]> = new Set(["sending", "in-progress"]);

/** The paths and wildcards of a distribution's invalidations in progress (a tag counts as a path). */
export function inFlight(batches: readonly PurgeBatch[], distributionId: string): PurgePreview["inFlight"] {
  const items = batches
    .filter((b) => b.distributionId === distributionId && AT_CLOUDFRONT.has(b.state))
    .flatMap((b) => b.paths);
  const wildcards = items.filter(isWildcard).length;
  return { paths: items.length - wildcards, wildcards };
}

/** What a purge will cost and how much room it takes, as facts: shown before it is sent or approved. */
export function previewPurge(
  plan: Pick<PathPlan, "paths">,
  cost: CostEstimate,
  running: PurgePreview["inFlight"],
): PurgePreview {
  const tags = plan.paths.filter(isTag).length;
  const wildcards = plan.paths.filter(isWildcard).length;
  return {
    paths: plan.paths.length - wildcards - tags,
    wildcards,
    tags,
    usd: cost.usd,
    freeUsedBefore: cost.usedThisMonth,
    inFlight: running,
  };
}

/**
 * "3 paths + 1 wildcard: USD 0.00 (212 of 1,000 free paths used this month); in flight on web:
 * 1,204 of 3,000 paths, 3 of 15 wildcards".
 */
export function describePreview(alias: string, p: PurgePreview): string {
  const items = [
    p.paths > 0 ? plural(p.paths, "path") : "",
    p.wildcards > 0 ? plural(p.wildcards, "wildcard") : "",
    p.tags > 0 ? plural(p.tags, "tag") : "",
  ].filter(Boolean);
  const limits = CLOUDFRONT_PATH_LIMITS;
  return (
    `${items.join(" + ")}: USD ${p.usd.toFixed(2)} (${formatCount(p.freeUsedBefore)} of ${formatCount(FREE_PATHS_PER_MONTH)} free paths used this month); ` +
    `in flight on ${alias}: ${formatCount(p.inFlight.paths)} of ${formatCount(limits.maxFilePathsInFlight)} paths, ` +
    `${p.inFlight.wildcards} of ${limits.maxWildcardPathsInFlight} wildcards`
  );
}
