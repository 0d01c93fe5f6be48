import { describe, expect, it } from "vitest";
import type { DistributionConfig } from "../../src/aws/cloudfront-gateway.js";
import { parseConfig } from "../../src/config/load-config.js";
import { DistributionDirectory } from "../../src/directory/distribution-directory.js";
import { syncDirectory } from "../../src/environments/environment-registry.js";
import {
  environmentConfig,
  environmentIdInComment,
  planEnvironment,
} from "../../src/environments/environment-template.js";
import type { Environment } from "../../src/store/records.js";

const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123";
const yaml = (extra = "") =>
  [
    "distributions:",
    "  web:",
    "    id: E2EXAMPLE123",
    "    channel: CWEB",
    "    policy:",
    "      approvalsRequired: 2",
    "environments:",
    "  templates:",
    "    preview:",
    "      from: web",
    "      aliasDomain: preview.example.com",
    `      certificateArn: ${CERT}`,
    "    bare:",
    "      from: web",
    extra,
  ].join("\n");

const source: DistributionConfig = {
  CallerReference: "web-original",
  Comment: "Public website",
  Enabled: true,
  Aliases: { Quantity: 1, Items: ["www.example.com"] },
  Origins: {
    Quantity: 2,
    Items: [
      { Id: "assets", DomainName: "assets.s3.amazonaws.com", S3OriginConfig: { OriginAccessIdentity: "" } },
      {
        Id: "app",
        DomainName: "app.example.com",
        CustomOriginConfig: { HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: "https-only" },
      },
    ],
  },
  DefaultCacheBehavior: { TargetOriginId: "app", ViewerProtocolPolicy: "redirect-to-https" },
  Logging: { Enabled: true, IncludeCookies: false, Bucket: "logs.s3.amazonaws.com", Prefix: "web/" },
  ViewerCertificate: {
    ACMCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/www",
    SSLSupportMethod: "sni-only",
  },
  ContinuousDeploymentPolicyId: "cdp-1",
  Staging: false,
} as DistributionConfig;

describe("an environment's plan", () => {
  const config = parseConfig(yaml(), "cdnbot.yml");

  it("takes a host as typed or as Slack linked it, and an alias under the template's domain", () => {
    expect(
      planEnvironment(config, {
        template: "preview",
        name: "PR-42",
        origin: "https://PR-42.app.example.com/",
        alias: "http://pr-42.preview.example.com",
      }),
    ).toEqual({
      name: "pr-42",
      template: "preview",
      source: "web",
      originDomain: "pr-42.app.example.com",
      aliasHost: "pr-42.preview.example.com",
    });
  });

  it.each([
    [{ template: "nope", name: "a", origin: "a.example.com" }, /There is no environment template `nope`/],
    [
      { template: "preview", name: "web", origin: "a.example.com" },
      /already the name of one of my distributions/,
    ],
    [
      { template: "preview", name: "preview", origin: "a.example.com" },
      /already the name of one of my distributions or templates/,
    ],
    [{ template: "preview", name: "a_b", origin: "a.example.com" }, /cannot name an environment/],
    [{ template: "preview", name: "a", origin: "not a host" }, /is not a host name/],
    [{ template: "preview", name: "a", origin: "169.254.169.254" }, /is an IP address/],
    [{ template: "preview", name: "a", origin: "[::1]" }, /is an IP address/],
    [
      { template: "preview", name: "a", origin: "a.example.com", alias: "a.b.preview.example.com" },
      /is not directly under/,
    ],
    [
      { template: "preview", name: "a", origin: "a.example.com", alias: "a.example.com" },
      /is not directly under/,
    ],
    [
      { template: "bare", name: "a", origin: "a.example.com", alias: "a.preview.example.com" },
      /has no certificate for aliases/,
    ],
  ])("refuses %j", (input, message) => {
    expect(() => planEnvironment(config, input)).toThrow(message);
  });

  it("is refused by the config when a template has a domain but no certificate, or copies nothing known", () => {
    expect(() =>
      parseConfig(
        "distributions:\n  web:\n    id: E2EXAMPLE123\nenvironments:\n  templates:\n    p:\n      from: shop\n      aliasDomain: p.example.com\n",
        "cdnbot.yml",
      ),
    ).toThrow(
      /environments\.templates\.p\.certificateArn[\s\S]*environments\.templates\.p\.from: there is no distribution `shop`/,
    );
  });
});

describe("an environment's distribution config", () => {
  const config = parseConfig(yaml(), "cdnbot.yml");
  const template = config.environments!.templates.preview!;
  const made = environmentConfig(source, template, {
    id: "RENV001",
    name: "pr-42",
    originDomain: "pr-42.app.example.com",
    aliasHost: "pr-42.preview.example.com",
  });

  it("is the source's with its own origin, alias, certificate, reference and comment", () => {
    expect(made.CallerReference).toBe("RENV001");
    expect(made.Origins?.Items?.find((o) => o.Id === "app")?.DomainName).toBe("pr-42.app.example.com");
    expect(made.Origins?.Items?.find((o) => o.Id === "assets")?.DomainName).toBe("assets.s3.amazonaws.com");
    expect(made.Aliases).toEqual({ Quantity: 1, Items: ["pr-42.preview.example.com"] });
    expect(made.ViewerCertificate).toMatchObject({ ACMCertificateArn: CERT, SSLSupportMethod: "sni-only" });
    expect(environmentIdInComment(made.Comment!)).toBe("RENV001");
    expect(made.DefaultCacheBehavior).toEqual(source.DefaultCacheBehavior);
  });

  it("keeps nothing that belongs to the source alone, and leaves the source untouched", () => {
    expect(made.Logging?.Enabled).toBe(false);
    expect(made.ContinuousDeploymentPolicyId).toBeUndefined();
    expect(source.Logging?.Enabled).toBe(true);
    expect(source.Origins?.Items?.[1]?.DomainName).toBe("app.example.com");
  });

  it("without an alias, is served on CloudFront's own certificate", () => {
    const bare = environmentConfig(source, config.environments!.templates.bare!, {
      id: "RENV002",
      name: "pr-43",
      originDomain: "pr-43.app.example.com",
    });
    expect(bare.Aliases).toEqual({ Quantity: 0, Items: [] });
    expect(bare.ViewerCertificate?.CloudFrontDefaultCertificate).toBe(true);
  });

  it("turns an S3 origin given a host that is no bucket into a custom origin over HTTPS", () => {
    const s3Source = {
      ...source,
      DefaultCacheBehavior: { ...source.DefaultCacheBehavior, TargetOriginId: "assets" },
    } as DistributionConfig;
    const out = environmentConfig(s3Source, template, { id: "R3", name: "x", originDomain: "x.example.com" });
    const origin = out.Origins?.Items?.find((o) => o.Id === "assets");
    expect(origin?.S3OriginConfig).toBeUndefined();
    expect(origin?.CustomOriginConfig?.OriginProtocolPolicy).toBe("https-only");
  });
});

describe("the registry of environments", () => {
  const made = (overrides: Partial<Environment>): Environment => ({
    version: 0,
    id: "RENV001",
    name: "pr-42",
    template: "preview",
    source: "web",
    originDomain: "o.example.com",
    state: "ready",
    distributionId: "E2ENV42",
    requestedBy: { userId: "UALICE", teamId: "T1" },
    channelId: "C1",
    requestedAt: 0,
    told: [],
    announced: { created: true, deleted: false },
    ...overrides,
  });

  it("adds environments as distributions with their source's policy and channel, and removes the deleted", () => {
    const config = parseConfig(yaml(), "cdnbot.yml");
    const before = structuredClone(config);
    const directory = new DistributionDirectory(config);
    syncDirectory(directory, [
      made({}),
      made({ id: "R2", name: "pr-43", state: "creating", distributionId: undefined }),
    ]);
    expect(directory.get("pr-42")).toMatchObject({
      id: "E2ENV42",
      channel: "CWEB",
      policy: { approvalsRequired: 2 },
      template: "preview",
    });
    expect(directory.resolve("E2ENV42").alias).toBe("pr-42");
    expect(directory.get("pr-43")).toBeUndefined();
    expect(directory.get("web")?.template).toBeUndefined();

    syncDirectory(directory, [made({ state: "deleted" })]);
    expect(directory.get("pr-42")).toBeUndefined();
    expect(directory.list().map((d) => d.alias)).toEqual(["web"]);
    // What the file said is read, never written.
    expect(config).toEqual(before);
  });

  it("never replaces a distribution of the config file", () => {
    const config = parseConfig(yaml(), "cdnbot.yml");
    const directory = new DistributionDirectory(config);
    syncDirectory(directory, [made({ name: "web", distributionId: "E9OTHER" })]);
    expect(directory.get("web")?.id).toBe("E2EXAMPLE123");
    expect(directory.byId("E9OTHER")).toBeUndefined();
  });
});
