import type { InvalidationGateway } from "../src/aws/cloudfront-gateway.js";
import { DEMO_DISTRIBUTIONS } from "../src/sandbox/demo-distributions.js";
import { SimulatedCloudFront } from "../src/sandbox/simulated-cloudfront.js";
import type { InvalidationRate } from "../src/sandbox/simulated-invalidations.js";
import { seeded } from "./seeded.js";

/**
 * The sandbox's CloudFront model (the one simulation of CloudFront's documented behaviour) in
 * simulated time, for a bench: these distributions exist, the n-th invalidation takes
 * `durationOf(n)`, and every call is counted by operation (and each refusal by its code).
 */
export function benchCloudFront(
  clock: () => number,
  durationOf: (n: number) => number,
  distributionIds: readonly string[],
  rate?: InvalidationRate,
) {
  const config = DEMO_DISTRIBUTIONS[0]!.config;
  const model = new SimulatedCloudFront(
    [...new Set(distributionIds)].map((id) => ({ id, config })),
    clock,
    { invalidationMs: durationOf, deployMs: [0, 0], speed: 1 },
    seeded(5),
    rate,
  );
  const calls: Record<string, number> = {};
  const refused: Record<string, number> = {};
  const count = <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    calls[operation] = (calls[operation] ?? 0) + 1;
    return call().catch((error: unknown) => {
      const code = (error as Error).name;
      refused[code] = (refused[code] ?? 0) + 1;
      throw error;
    });
  };
  const cloudfront: InvalidationGateway = {
    getDistribution: (id) => count("GetDistribution", () => model.getDistribution(id)),
    createInvalidation: (id, paths, ref) =>
      count("CreateInvalidation", () => model.createInvalidation(id, paths, ref)),
    getInvalidation: (id, inv) => count("GetInvalidation", () => model.getInvalidation(id, inv)),
    listInvalidations: (id, max) => count("ListInvalidations", () => model.listInvalidations(id, max)),
    getDistributionTenant: (name) => count("GetDistributionTenant", () => model.getDistributionTenant(name)),
    createTenantInvalidation: (tenant, paths, ref) =>
      count("CreateInvalidationForDistributionTenant", () =>
        model.createTenantInvalidation(tenant, paths, ref),
      ),
    getTenantInvalidation: (tenant, inv) =>
      count("GetInvalidationForDistributionTenant", () => model.getTenantInvalidation(tenant, inv)),
  };
  return {
    cloudfront,
    calls,
    refused,
    totalCalls: () => Object.values(calls).reduce((a, b) => a + b, 0),
    /** The paths of every invalidation created, in order. */
    pathsSent: () => model.snapshot().invalidations.map((i) => i.paths),
    /** When CloudFront finished each invalidation, in simulated time, by id. */
    doneAt: () => new Map(model.snapshot().invalidations.map((i) => [i.id, i.completesAt])),
  };
}
