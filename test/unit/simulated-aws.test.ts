import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeAwsError } from "../../src/aws/aws-errors.js";
import { DEMO_DISTRIBUTIONS } from "../../src/sandbox/demo-distributions.js";
import { simulatedAws } from "../../src/sandbox/sandbox-aws.js";
import { DEFAULT_TIMING, SimulatedCloudFront } from "../../src/sandbox/simulated-cloudfront.js";
import { SimulatedCloudWatch } from "../../src/sandbox/simulated-cloudwatch.js";

const WEB = DEMO_DISTRIBUTIONS[0]!;

function cloudfront(options: { speed?: number } = {}) {
  let now = Date.UTC(2026, 10, 25, 12, 0, 0);
  let seed = 1;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const cf = new SimulatedCloudFront(
    DEMO_DISTRIBUTIONS.map((d) => ({ id: d.id, config: d.config })),
    () => now,
    { ...DEFAULT_TIMING, speed: options.speed ?? 1 },
    random,
  );
  return { cf, advance: (ms: number) => (now += ms), now: () => now };
}

/** What the bot would tell a person about this failure. */
async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return `${(error as Error).name}: ${describeAwsError(error).explanation}`;
  }
  throw new Error("expected AWS to refuse");
}

describe("the sandbox's CloudFront", () => {
  it("takes 20–40 seconds to complete an invalidation, and --speed shortens it", async () => {
    const { cf, advance } = cloudfront();
    const inv = await cf.createInvalidation(WEB.id, ["/index.html"], "ref-1");
    expect(inv.status).toBe("InProgress");
    advance(19_999);
    expect((await cf.getInvalidation(WEB.id, inv.id)).status).toBe("InProgress");
    advance(20_001);
    expect((await cf.getInvalidation(WEB.id, inv.id)).status).toBe("Completed");

    const fast = cloudfront({ speed: 10 });
    const quick = await fast.cf.createInvalidation(WEB.id, ["/index.html"], "ref-1");
    fast.advance(4_000);
    expect((await fast.cf.getInvalidation(WEB.id, quick.id)).status).toBe("Completed");
  });

  it("returns the first invalidation for a CallerReference sent again, and refuses it with other paths", async () => {
    const { cf } = cloudfront();
    const first = await cf.createInvalidation(WEB.id, ["/a.html"], "ref-1");
    const again = await cf.createInvalidation(WEB.id, ["/a.html"], "ref-1");

    expect(again.id).toBe(first.id);
    expect(await cf.listInvalidations(WEB.id)).toHaveLength(1);
    expect(await refusal(cf.createInvalidation(WEB.id, ["/b.html"], "ref-1"))).toMatch(
      /^InvalidationBatchAlreadyExists/,
    );
  });

  it("applies the quotas on paths in progress: 3,000 file paths and 15 wildcards, until they complete", async () => {
    const { cf, advance } = cloudfront();
    const files = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `/${prefix}/${i}.html`);
    await cf.createInvalidation(WEB.id, files(2_999, "a"), "r1");
    expect(await refusal(cf.createInvalidation(WEB.id, files(2, "b"), "r2"))).toMatch(
      /^TooManyInvalidationsInProgress: CloudFront's limit on invalidation paths in progress/,
    );
    await cf.createInvalidation(WEB.id, files(1, "b"), "r3");

    const wildcards = Array.from({ length: 15 }, (_, i) => `/w${i}/*`);
    await cf.createInvalidation(WEB.id, wildcards, "r4");
    expect(await refusal(cf.createInvalidation(WEB.id, ["/more/*"], "r5"))).toMatch(
      /^TooManyInvalidationsInProgress/,
    );
    // Another distribution has quotas of its own.
    await cf.createInvalidation(DEMO_DISTRIBUTIONS[1]!.id, ["/more/*"], "r6");

    advance(40_001);
    await cf.createInvalidation(WEB.id, ["/more/*", ...files(2, "c")], "r7");
    expect(await refusal(cf.createInvalidation(WEB.id, files(3_001, "d"), "r8"))).toMatch(/^BatchTooLarge/);
    expect(await refusal(cf.createInvalidation(WEB.id, ["index.html"], "r9"))).toMatch(/^InvalidArgument/);
  });

  it("gives every write a new ETag, refuses a stale If-Match, and deploys for a minute or two", async () => {
    const { cf, advance } = cloudfront();
    const { config, etag } = await cf.getDistributionConfig(WEB.id);
    config.Comment = "changed by the bot";

    const out = await cf.updateDistribution(WEB.id, config, etag);
    expect(out.etag).not.toBe(etag);
    expect(out.status).toBe("InProgress");
    expect((await cf.getDistribution(WEB.id)).status).toBe("InProgress");
    expect(await refusal(cf.updateDistribution(WEB.id, config, etag))).toMatch(
      /^PreconditionFailed: Someone else changed this distribution/,
    );
    advance(59_999);
    expect((await cf.getDistribution(WEB.id)).status).toBe("InProgress");
    advance(60_002);
    expect((await cf.getDistribution(WEB.id)).status).toBe("Deployed");
    expect((await cf.getDistribution(WEB.id)).comment).toBe("changed by the bot");
  });

  it("updates a tenant with its ETag only, within its distribution's parameters, and deploys it", async () => {
    const { cf, advance } = cloudfront();
    const SAAS = DEMO_DISTRIBUTIONS.find((d) => d.tenants)!;
    const made = cf.tenants.add({ ...SAAS.tenants![0]!, distributionId: SAAS.id, enabled: true });
    const read = await cf.getTenantDocument(made.id);
    expect(read.status).toBe("Deployed");
    expect(read.config.Parameters).toEqual({ origin: "acme.origin.example-saas.com" });

    // Parameters the distribution does not define, or a required one taken away, are refused.
    const unknown = { ...read.config, Parameters: { ...read.config.Parameters, region: "eu" } };
    expect(await refusal(cf.updateDistributionTenant(made.id, unknown, read.etag))).toMatch(
      /^InvalidArgument: .*parameter region is not defined/,
    );
    const noOrigin = { ...read.config, Parameters: { theme: "dark" } };
    expect(await refusal(cf.updateDistributionTenant(made.id, noOrigin, read.etag))).toMatch(
      /^InvalidArgument: .*required parameter origin has no value/,
    );

    const written = await cf.updateDistributionTenant(made.id, { ...read.config, Enabled: false }, read.etag);
    expect(written.etag).not.toBe(read.etag);
    expect((await cf.getTenantDocument(made.id)).status).toBe("InProgress");
    // The ETag read before the write is stale now, for an update and for a web ACL alike.
    expect(await refusal(cf.updateDistributionTenant(made.id, read.config, read.etag))).toMatch(
      /^PreconditionFailed/,
    );
    expect(
      await refusal(
        cf.setTenantWebAcl(made.id, "arn:aws:wafv2:us-east-1:123456789012:global/webacl/a/b", read.etag),
      ),
    ).toMatch(/^PreconditionFailed/);
    advance(10 * 60_000);
    const after = await cf.getTenantDocument(made.id);
    expect(after).toMatchObject({ status: "Deployed", config: { Enabled: false } });
  });

  it("lets someone else edit a distribution, which makes the ETag the bot read stale", async () => {
    const { cf } = cloudfront();
    const { config, etag } = await cf.getDistributionConfig(WEB.id);

    cf.editElsewhere(WEB.id, (c) => {
      c.Comment = "edited in the console";
    });

    expect(await refusal(cf.updateDistribution(WEB.id, config, etag))).toMatch(/^PreconditionFailed/);
    const fresh = await cf.getDistributionConfig(WEB.id);
    expect(fresh.config.Comment).toBe("edited in the console");
    await cf.updateDistribution(WEB.id, fresh.config, fresh.etag);
  });

  it("refuses unknown distributions and invalidations, a missing If-Match and a changed CallerReference", async () => {
    const { cf } = cloudfront();
    expect(await refusal(cf.getDistribution("E0NOSUCHDIST0"))).toMatch(/^NoSuchDistribution/);
    expect(await refusal(cf.getInvalidation(WEB.id, "INOSUCH"))).toMatch(/^NoSuchInvalidation/);
    const { config, etag } = await cf.getDistributionConfig(WEB.id);
    expect(await refusal(cf.updateDistribution(WEB.id, config, ""))).toMatch(/^InvalidIfMatchVersion/);
    expect(await refusal(cf.updateDistribution(WEB.id, { ...config, CallerReference: "x" }, etag))).toMatch(
      /^IllegalUpdate/,
    );
  });

  it("can be slow or throttle, as the panel asks", async () => {
    const { cf } = cloudfront();
    cf.trouble.throttling = true;
    const problem = await refusal(cf.getDistribution(WEB.id));
    expect(problem).toMatch(/^Throttling: AWS is throttling/);
    cf.trouble.throttling = false;

    cf.trouble.latencyMs = 50;
    const started = performance.now();
    await cf.getDistribution(WEB.id);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("refuses CreateInvalidation past the account's rate with Throttling when asked to, and gives a turn back with time", async () => {
    let now = 0;
    const cf = new SimulatedCloudFront(
      [{ id: WEB.id, config: WEB.config }],
      () => now,
      { invalidationMs: (n) => n * 1000, deployMs: [0, 0], speed: 1 },
      Math.random,
      { perSecond: 0.5, burst: 2 },
    );
    const create = (ref: string) => cf.createInvalidation(WEB.id, [`/${ref}`], ref);

    await create("a");
    await create("b");
    expect(await refusal(create("c"))).toMatch(/^Throttling: /);
    // A CallerReference sent again is the same invalidation, not a new call on the account's rate.
    expect((await create("a")).status).toBe("InProgress");
    now += 1999;
    expect(await refusal(create("c"))).toMatch(/^Throttling: /);
    now += 1;
    const third = await create("c");
    // The n-th invalidation takes what the bench said: the third, 3 s.
    now += 2999;
    expect((await cf.getInvalidation(WEB.id, third.id)).status).toBe("InProgress");
    now += 1;
    expect((await cf.getInvalidation(WEB.id, third.id)).status).toBe("Completed");
  });

  it("keeps real-time log configs by name", async () => {
    const { cf } = cloudfront();
    const input = { name: "web-logs", samplingRate: 10, fields: ["timestamp"], streamArn: "s", roleArn: "r" };
    const { arn } = await cf.createRealtimeLogConfig(input);
    expect(arn).toBe("arn:aws:cloudfront::123456789012:realtime-log-config/web-logs");
    expect(await refusal(cf.createRealtimeLogConfig(input))).toMatch(/^RealtimeLogConfigAlreadyExists/);
    await cf.updateRealtimeLogConfig({ ...input, samplingRate: 50 });
    expect((await cf.listRealtimeLogConfigs()).map((c) => c.samplingRate)).toEqual([50]);
    expect(await refusal(cf.updateRealtimeLogConfig({ ...input, name: "other" }))).toMatch(
      /^NoSuchRealtimeLogConfig/,
    );
  });
});

describe("the sandbox's CloudWatch", () => {
  const now = Date.UTC(2026, 10, 25, 15, 30, 0);
  const traffic = new Map([[WEB.id, WEB.peakRequestsPerMinute]]);

  it("has a day of one-minute datapoints, aligned and a minute late, the same on every read", async () => {
    const cw = new SimulatedCloudWatch(
      (id) => traffic.get(id),
      () => now,
    );
    const range = { startMs: now - 86_400_000, endMs: now, periodSeconds: 60 };
    const series = await cw.getDistributionMetrics(
      WEB.id,
      ["Requests", "5xxErrorRate", "CacheHitRate"],
      range,
    );

    const requests = series.Requests ?? [];
    expect(requests.length).toBeGreaterThanOrEqual(1_438);
    expect(requests.length).toBeLessThanOrEqual(1_440);
    expect(requests.every((p) => p.at % 60_000 === 0)).toBe(true);
    expect(requests.at(-1)!.at).toBeLessThanOrEqual(now - 60_000);
    // A daily rhythm: the busiest minute has well over twice the quietest's requests.
    const values = requests.map((p) => p.value);
    expect(Math.max(...values)).toBeGreaterThan(2 * Math.min(...values));
    expect(Math.max(...values)).toBeLessThanOrEqual(WEB.peakRequestsPerMinute * 1.1);
    expect(series["5xxErrorRate"]!.every((p) => p.value >= 0 && p.value < 1)).toBe(true);
    expect(series.CacheHitRate!.every((p) => p.value > 80 && p.value <= 100)).toBe(true);
    expect(await cw.getDistributionMetrics(WEB.id, ["Requests"], range)).toEqual({ Requests: requests });
  });

  it("sums counts and averages rates over longer periods", async () => {
    const cw = new SimulatedCloudWatch(
      (id) => traffic.get(id),
      () => now,
    );
    const start = now - 3_600_000;
    const minutes = await cw.getDistributionMetrics(WEB.id, ["Requests", "4xxErrorRate"], {
      startMs: start,
      endMs: start + 300_000,
      periodSeconds: 60,
    });
    const fiveMinutes = await cw.getDistributionMetrics(WEB.id, ["Requests", "4xxErrorRate"], {
      startMs: start,
      endMs: start + 300_000,
      periodSeconds: 300,
    });
    const sum = minutes.Requests!.reduce((a, p) => a + p.value, 0);
    const mean = minutes["4xxErrorRate"]!.reduce((a, p) => a + p.value, 0) / 5;
    expect(fiveMinutes.Requests).toEqual([{ at: start, value: sum }]);
    expect(fiveMinutes["4xxErrorRate"]![0]!.value).toBeCloseTo(mean, 9);
  });

  it("shows a 5xx spike from when it began until it recovers", async () => {
    const cw = new SimulatedCloudWatch(
      (id) => traffic.get(id),
      () => now,
    );
    cw.spike(WEB.id, { metric: "5xxErrorRate", value: 12, from: now - 5 * 60_000 });
    const read = async () =>
      (
        await cw.getDistributionMetrics(WEB.id, ["5xxErrorRate"], {
          startMs: now - 10 * 60_000,
          endMs: now,
          periodSeconds: 60,
        })
      )["5xxErrorRate"]!.map((p) => p.value);

    const during = await read();
    expect(during.slice(0, 5).every((v) => v < 1)).toBe(true);
    expect(during.slice(5).every((v) => v === 12)).toBe(true);

    cw.recover(WEB.id, now - 2 * 60_000);
    const after = await read();
    expect(after.slice(5, 8).every((v) => v === 12)).toBe(true);
    expect(after.slice(8).every((v) => v < 1)).toBe(true);
  });

  it("has no data for a distribution it does not know, and refuses a period CloudWatch would", async () => {
    const cw = new SimulatedCloudWatch(
      (id) => traffic.get(id),
      () => now,
    );
    expect(
      await cw.getDistributionMetrics("E0UNKNOWN0000", ["Requests"], {
        startMs: 0,
        endMs: now,
        periodSeconds: 60,
      }),
    ).toEqual({ Requests: [] });
    await expect(
      cw.getDistributionMetrics(WEB.id, ["Requests"], { startMs: 0, endMs: now, periodSeconds: 30 }),
    ).rejects.toThrow(/multiple of 60 seconds/);
  });
});

describe("the sandbox's CloudFront kept with --data", () => {
  it("finds its ETags and invalidations again on the next run, and refuses a broken file in one sentence", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cdnbot-sim-"));
    const first = simulatedAws(1, dir);
    const created = await first.cloudfront.createInvalidation(WEB.id, ["/index.html"], "ref-kept");
    const { etag } = await first.cloudfront.getDistributionConfig(WEB.id);
    const managed = (await first.cloudfront.listManagedCachePolicyIds(WEB.id))[0]!;
    const { config: cacheConfig } = await first.cloudfront.getCachePolicyConfig(managed, WEB.id);
    const cachePolicy = await first.cloudfront.createCachePolicy(
      { ...cacheConfig, Name: "kept-ttls" },
      WEB.id,
    );
    const headers = (await first.cloudfront.listResponseHeadersPolicies(WEB.id))[0]!;
    const { config: headersConfig } = await first.cloudfront.getResponseHeadersPolicyConfig(
      headers.id,
      WEB.id,
    );
    const headersPolicy = await first.cloudfront.createResponseHeadersPolicy(
      { ...headersConfig, Name: "kept-headers" },
      WEB.id,
    );

    const second = simulatedAws(1, dir);
    // The account's own policies are there on the next run (they were dropped on load before).
    expect(await second.cloudfront.findCustomCachePolicy("kept-ttls", WEB.id)).toBe(cachePolicy.id);
    expect((await second.cloudfront.getCachePolicyConfig(cachePolicy.id, WEB.id)).etag).toBe(
      cachePolicy.etag,
    );
    expect(
      (await second.cloudfront.getResponseHeadersPolicyConfig(headersPolicy.id, WEB.id)).config.Name,
    ).toBe("kept-headers");
    expect((await second.cloudfront.getInvalidation(WEB.id, created.id)).paths).toEqual(["/index.html"]);
    expect((await second.cloudfront.getDistributionConfig(WEB.id)).etag).toBe(etag);
    // The same CallerReference is still the same invalidation.
    expect((await second.cloudfront.createInvalidation(WEB.id, ["/index.html"], "ref-kept")).id).toBe(
      created.id,
    );

    writeFileSync(join(dir, "simulated-cloudfront.json"), "{ not json");
    expect(() => simulatedAws(1, dir)).toThrow(
      /simulated-cloudfront\.json is not a simulation this sandbox can read: delete it/,
    );
  });
});
