import { describe, expect, it } from "vitest";
import { placeInBatches } from "../../src/purge/batch-joining.js";
import { aPurge } from "../support/fixtures.js";

const options = {
  coalesceWindowMs: 2_000,
  limits: { maxPathsPerInvalidation: 3_000, maxWildcardPathsInFlight: 15 },
};

describe("placing purges in batches", () => {
  it("coalesces a distribution's purges, and each tenant's apart: one invalidation each", () => {
    const acme = { name: "acme", id: "DTACME" };
    const placed = placeInBatches(
      "E2EXAMPLE123",
      [],
      [
        aPurge({ id: "p1", paths: ["/a"] }),
        aPurge({ id: "t1", paths: ["/a"], tenant: acme }),
        aPurge({ id: "p2", paths: ["/b"] }),
        aPurge({ id: "t2", paths: ["/c"], tenant: acme }),
        aPurge({ id: "g1", paths: ["/d"], tenant: { name: "globex", id: "DTGLOBEX" } }),
      ],
      1_000_000,
      options,
    );
    const batches = [...placed.batches.values()].map(({ batch }) => ({
      tenantId: batch.tenantId,
      paths: batch.paths,
      operationIds: batch.operationIds,
    }));
    expect(batches).toEqual([
      { tenantId: undefined, paths: ["/a", "/b"], operationIds: ["p1", "p2"] },
      { tenantId: "DTACME", paths: ["/a", "/c"], operationIds: ["t1", "t2"] },
      { tenantId: "DTGLOBEX", paths: ["/d"], operationIds: ["g1"] },
    ]);
    // Their ids differ, so replicas proposing the same batch still collide per tenant only.
    expect(new Set(placed.batches.keys()).size).toBe(3);
  });
});
