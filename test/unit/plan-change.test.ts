import { describe, expect, it } from "vitest";
import type { CachePolicyConfig } from "../../src/aws/cloudfront-gateway.js";
import {
  behaviorsUsing,
  cachePolicyOf,
  checkPolicyTtls,
  describeBlastRadius,
} from "../../src/changes/cache-policy-change.js";
import {
  alreadyApplied,
  applyWrites,
  compileChange,
  diffWrites,
  driftSince,
  inverseWrites,
} from "../../src/changes/plan-change.js";
import { UserError } from "../../src/errors.js";
import type { ChangeSpec } from "../../src/store/change-spec.js";
import { aDistributionConfig } from "../support/distribution-config.js";

const preview = (spec: ChangeSpec) => {
  const config = aDistributionConfig();
  return diffWrites(config, compileChange(spec, config)).map((d) => [d.label, d.before, d.after]);
};

describe("a TTL change on a behaviour with a cache policy", () => {
  it("is written to the policy, where its TTLs live, and checked there", () => {
    const config = aDistributionConfig();
    const writes = compileChange({ kind: "ttl", behavior: "/api/*", defaultTtl: 10, maxTtl: 60 }, config);
    expect(writes).toEqual([
      { path: "cachePolicy[4135ea2d-6df8-44a3-9df3-4b5a84be39ad].DefaultTTL", value: 10 },
      { path: "cachePolicy[4135ea2d-6df8-44a3-9df3-4b5a84be39ad].MaxTTL", value: 60 },
    ]);
    expect(cachePolicyOf(writes)).toBe("4135ea2d-6df8-44a3-9df3-4b5a84be39ad");
    const policy = {
      Name: "team-default",
      MinTTL: 0,
      DefaultTTL: 86_400,
      MaxTTL: 31_536_000,
    } as CachePolicyConfig;
    expect(diffWrites(policy, writes).map((d) => [d.label, d.before, d.after])).toEqual([
      ["cache policy 4135ea2d-6df8-44a3-9df3-4b5a84be39ad · default TTL", 86_400, 10],
      ["cache policy 4135ea2d-6df8-44a3-9df3-4b5a84be39ad · maximum TTL", 31_536_000, 60],
    ]);
    expect(applyWrites(policy, writes)).toMatchObject({ DefaultTTL: 10, MaxTTL: 60, MinTTL: 0 });
    expect(() =>
      checkPolicyTtls({ ...policy, MinTTL: 100 }, { kind: "ttl", behavior: "/api/*", defaultTtl: 10 }),
    ).toThrow(/min ≤ default ≤ max; this change would make them min=100, default=10/);
  });

  it("says which behaviours use a policy, and the blast radius in words", () => {
    expect(behaviorsUsing(aDistributionConfig(), "4135ea2d-6df8-44a3-9df3-4b5a84be39ad")).toEqual(["/api/*"]);
    expect(
      describeBlastRadius({
        kind: "cache",
        id: "p1",
        name: "team-default",
        usedBy: [
          { alias: "web", distributionId: "E1", behaviors: ["default", "/img/*"] },
          { alias: "shop", distributionId: "E2", behaviors: ["default"] },
        ],
        distributionIds: ["E1", "E2", "E3", "E4"],
      }),
    ).toBe(
      "Cache policy `team-default` is used by web (default, /img/*), shop (default) and 2 other distributions in the account: all 4 get the new settings.",
    );
  });
});

describe("previewing a change", () => {
  it.each<[string, ChangeSpec, unknown[][]]>([
    [
      "TTLs of the default behaviour",
      { kind: "ttl", behavior: "default", defaultTtl: 300, maxTtl: 3600 },
      [
        ["default behaviour · default TTL", 86_400, 300],
        ["default behaviour · maximum TTL", 31_536_000, 3600],
      ],
    ],
    [
      "a behaviour's cache policy",
      { kind: "cache-policy", behavior: "api/*", cachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6" },
      [
        [
          "behaviour api/* · cache policy",
          "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
          "658327ea-f89d-4fab-a63d-7e88639e58f6",
        ],
      ],
    ],
    [
      "an origin",
      { kind: "origin", originId: "api", domainName: "api-green.example.com", originPath: "" },
      [
        ["origin api · domain", "api.example.com", "api-green.example.com"],
        ["origin api · origin path", "/v1", ""],
      ],
    ],
    [
      "a behaviour's target origin",
      { kind: "target-origin", behavior: "/api/*", originId: "site" },
      [["behaviour /api/* · origin", "api", "site"]],
    ],
    [
      "a geo block-list",
      { kind: "geo", restriction: "blacklist", countries: ["kp", "IR", "IR"] },
      [
        [
          "geo restriction",
          { RestrictionType: "none", Quantity: 0 },
          { RestrictionType: "blacklist", Quantity: 2, Items: ["IR", "KP"] },
        ],
      ],
    ],
    ["disabling", { kind: "enabled", enabled: false }, [["enabled", true, false]]],
    [
      "the price class",
      { kind: "price-class", priceClass: "PriceClass_All" },
      [["price class", "PriceClass_100", "PriceClass_All"]],
    ],
    [
      "the root object",
      { kind: "root-object", defaultRootObject: "home.html" },
      [["default root object", "index.html", "home.html"]],
    ],
    ["the comment", { kind: "comment", comment: "Shop" }, [["comment", "Public website", "Shop"]]],
    [
      "attaching real-time logs",
      {
        kind: "realtime-log",
        behavior: "default",
        realtimeLogConfigArn: "arn:aws:cloudfront::123456789012:realtime-log-config/x",
      },
      [
        [
          "default behaviour · real-time log config",
          undefined,
          "arn:aws:cloudfront::123456789012:realtime-log-config/x",
        ],
      ],
    ],
  ])("shows only what changes: %s", (_what, spec, expected) => {
    expect(preview(spec)).toEqual(expected);
  });

  it("says when a change changes nothing", () => {
    expect(preview({ kind: "comment", comment: "Public website" })).toEqual([]);
    expect(preview({ kind: "geo", restriction: "none", countries: [] })).toEqual([]);
  });

  it.each<[ChangeSpec, RegExp]>([
    [
      { kind: "ttl", behavior: "default", minTtl: 500, defaultTtl: 300 },
      /min ≤ default ≤ max; this change would make them min=500, default=300/,
    ],
    [
      { kind: "ttl", behavior: "/img/*", defaultTtl: 10 },
      /no behaviour for `\/img\/\*`\. Its behaviours: `default`, `\/api\/\*`/,
    ],
    [
      { kind: "origin", originId: "cdn", domainName: "x.example.com" },
      /no origin `cdn`\. Its origins: `site`, `api`/,
    ],
    [{ kind: "origin", originId: "api", domainName: "not a host" }, /not a valid domain name/],
    [{ kind: "origin", originId: "api", originPath: "v2/" }, /starts with `\/` and does not end with one/],
    [{ kind: "target-origin", behavior: "default", originId: "nope" }, /no origin `nope`/],
    [
      { kind: "geo", restriction: "whitelist", countries: ["US", "XX", "usa"] },
      /Not ISO 3166-1 country codes: `XX`, `USA`/,
    ],
    [
      { kind: "cache-policy", behavior: "default", cachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6" },
      /legacy cache settings/,
    ],
    [{ kind: "root-object", defaultRootObject: "/index.html" }, /without a leading `\/`/],
  ])("refuses %j precisely", (spec, message) => {
    const config = aDistributionConfig();
    expect(() => compileChange(spec, config)).toThrow(UserError);
    expect(() => compileChange(spec, config)).toThrow(message);
  });
});

describe("writing and rolling back", () => {
  it("applies writes to a copy, detects drift and recognises a change already made", () => {
    const config = aDistributionConfig();
    const writes = compileChange({ kind: "ttl", behavior: "default", defaultTtl: 300 }, config);
    const diffs = diffWrites(config, writes);
    const next = applyWrites(config, writes);

    expect(next.DefaultCacheBehavior?.DefaultTTL).toBe(300);
    expect(config.DefaultCacheBehavior?.DefaultTTL).toBe(86_400);
    expect(alreadyApplied(next, diffs)).toBe(true);
    expect(driftSince(config, diffs)).toEqual([]);

    const someoneElse = aDistributionConfig();
    someoneElse.DefaultCacheBehavior!.DefaultTTL = 600;
    expect(driftSince(someoneElse, diffs)).toEqual([
      { label: "default behaviour · default TTL", previewed: 86_400, now: 600 },
    ]);
  });

  it("rolls back to exactly the before-values, detaching what was attached", () => {
    const config = aDistributionConfig();
    const attach = compileChange(
      {
        kind: "realtime-log",
        behavior: "default",
        realtimeLogConfigArn: "arn:aws:cloudfront::123456789012:realtime-log-config/x",
      },
      config,
    );
    const attached = applyWrites(config, attach);
    const back = applyWrites(attached, inverseWrites(diffWrites(config, attach)));
    expect(back.DefaultCacheBehavior).toEqual(config.DefaultCacheBehavior);
    expect("RealtimeLogConfigArn" in (back.DefaultCacheBehavior ?? {})).toBe(false);
  });
});
