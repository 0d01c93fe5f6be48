import { formatCount, plural } from "../text/plain-text.js";
import { countBilledPaths } from "./invalidation-paths.js";

/** AWS's pricing: the first 1,000 invalidation paths each month are free, then USD 0.005 a path. */
export const FREE_PATHS_PER_MONTH = 1000;
export const PRICE_PER_PATH_USD = 0.005;

export type CostEstimate = { paths: number; usedThisMonth: number; billablePaths: number; usd: number };

export function estimatePurgeCost(paths: string[], usedThisMonth: number): CostEstimate {
  const count = countBilledPaths(paths);
  const freeLeft = Math.max(0, FREE_PATHS_PER_MONTH - usedThisMonth);
  const billablePaths = Math.max(0, count - freeLeft);
  return { paths: count, usedThisMonth, billablePaths, usd: billablePaths * PRICE_PER_PATH_USD };
}

export function describeCost(estimate: CostEstimate): string {
  const used = `${formatCount(estimate.usedThisMonth)} of ${formatCount(FREE_PATHS_PER_MONTH)} free paths used this month`;
  if (estimate.billablePaths === 0) return `Free (${used}).`;
  return `About USD ${estimate.usd.toFixed(2)} for ${plural(estimate.billablePaths, "path")} past the free allowance (${used}).`;
}
