import { describe, expect, it } from "vitest";
import { estimatePurgeCost } from "../../src/purge/invalidation-cost.js";
import { describePreview, inFlight, previewPurge } from "../../src/purge/purge-preview.js";
import { anInFlightBatch } from "../support/fixtures.js";

describe("a purge's cost and room", () => {
  it("counts paths, wildcards and tags apart, and the price past the month's free paths", () => {
    const plan = { paths: ["/a", "/b", "/img/*", "#sale"] };
    const preview = previewPurge(plan, estimatePurgeCost(plan.paths, 998), { paths: 1204, wildcards: 3 });
    expect(preview).toEqual({
      paths: 2,
      wildcards: 1,
      tags: 1,
      usd: 0.01,
      freeUsedBefore: 998,
      inFlight: { paths: 1204, wildcards: 3 },
    });
    expect(describePreview("web", preview)).toBe(
      "2 paths + 1 wildcard + 1 tag: USD 0.01 (998 of 1,000 free paths used this month); in flight on web: 1,204 of 3,000 paths, 3 of 15 wildcards",
    );
  });

  it("takes room only for what CloudFront is working on, on that distribution", () => {
    const batches = [
      anInFlightBatch("B1", "IB1", 0, {
        distributionId: "E1",
        paths: ["/a", "/b/*", "#t"],
        state: "in-progress",
      }),
      anInFlightBatch("B2", "IB2", 0, { distributionId: "E1", paths: ["/c"], state: "sending" }),
      anInFlightBatch("B3", "IB3", 0, { distributionId: "E1", paths: ["/d"], state: "completed" }),
      anInFlightBatch("B4", "IB4", 0, { distributionId: "E2", paths: ["/e"], state: "in-progress" }),
    ];
    expect(inFlight(batches, "E1")).toEqual({ paths: 3, wildcards: 1 });
  });
});
