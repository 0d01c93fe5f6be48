import type { DistributionConfig } from "../aws/cloudfront-gateway.js";

/** AWS's managed CachingOptimized cache policy. */
const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/** A behaviour with legacy cache settings: TTLs that `/cdn ttl` can change. */
function legacyBehavior(targetOriginId: string, ttl: { min: number; default: number; max: number }) {
  return {
    TargetOriginId: targetOriginId,
    ViewerProtocolPolicy: "redirect-to-https" as const,
    Compress: true,
    MinTTL: ttl.min,
    DefaultTTL: ttl.default,
    MaxTTL: ttl.max,
    ForwardedValues: {
      QueryString: false,
      Cookies: { Forward: "none" as const },
      Headers: { Quantity: 0, Items: [] },
      QueryStringCacheKeys: { Quantity: 0, Items: [] },
    },
    AllowedMethods: {
      Quantity: 2,
      Items: ["GET" as const, "HEAD" as const],
      CachedMethods: { Quantity: 2, Items: ["GET" as const, "HEAD" as const] },
    },
    SmoothStreaming: false,
    FieldLevelEncryptionId: "",
    LambdaFunctionAssociations: { Quantity: 0, Items: [] },
    FunctionAssociations: { Quantity: 0, Items: [] },
    TrustedSigners: { Enabled: false, Quantity: 0, Items: [] },
    TrustedKeyGroups: { Enabled: false, Quantity: 0, Items: [] },
  };
}

/** A behaviour whose cache settings live in a cache policy. */
function policyBehavior(targetOriginId: string, cachePolicyId: string) {
  const {
    MinTTL: _min,
    DefaultTTL: _default,
    MaxTTL: _max,
    ForwardedValues: _forwarded,
    ...rest
  } = legacyBehavior(targetOriginId, { min: 0, default: 0, max: 0 });
  return { ...rest, CachePolicyId: cachePolicyId };
}

function s3Origin(id: string, bucket: string) {
  return {
    Id: id,
    DomainName: `${bucket}.s3.amazonaws.com`,
    OriginPath: "",
    CustomHeaders: { Quantity: 0, Items: [] },
    S3OriginConfig: { OriginAccessIdentity: "" },
    ConnectionAttempts: 3,
    ConnectionTimeout: 10,
  };
}

function customOrigin(id: string, domainName: string) {
  return {
    Id: id,
    DomainName: domainName,
    OriginPath: "",
    CustomHeaders: { Quantity: 0, Items: [] },
    CustomOriginConfig: {
      HTTPPort: 80,
      HTTPSPort: 443,
      OriginProtocolPolicy: "https-only" as const,
      OriginSslProtocols: { Quantity: 1, Items: ["TLSv1.2" as const] },
      OriginReadTimeout: 30,
      OriginKeepaliveTimeout: 5,
    },
    ConnectionAttempts: 3,
    ConnectionTimeout: 10,
  };
}

function baseConfig(
  reference: string,
  comment: string,
  aliases: string[],
): Omit<DistributionConfig, "Origins" | "DefaultCacheBehavior"> {
  return {
    CallerReference: reference,
    Comment: comment,
    Enabled: true,
    Aliases: { Quantity: aliases.length, Items: aliases },
    DefaultRootObject: "index.html",
    PriceClass: "PriceClass_100",
    HttpVersion: "http2and3",
    IsIPV6Enabled: true,
    Restrictions: { GeoRestriction: { RestrictionType: "none", Quantity: 0, Items: [] } },
    ViewerCertificate: { CloudFrontDefaultCertificate: true, MinimumProtocolVersion: "TLSv1" },
    Logging: { Enabled: false, IncludeCookies: false, Bucket: "", Prefix: "" },
    CustomErrorResponses: { Quantity: 0, Items: [] },
    WebACLId: "",
  };
}

export type DemoDistribution = {
  alias: string;
  id: string;
  description: string;
  /** Requests a minute at the daily peak, for the made-up metrics. */
  peakRequestsPerMinute: number;
  config: DistributionConfig;
  /** The tenants of a multi-tenant distribution (the built-in simulation only: moto has none). */
  tenants?: { name: string; domains: string[]; parameters: { name: string; value: string }[] }[];
};

/**
 * Distributions such as a small company has: a website, a shop with an API, a docs site, and a
 * multi-tenant one its customers' sites share, each customer a tenant with its own domain.
 */
export const DEMO_DISTRIBUTIONS: DemoDistribution[] = [
  {
    alias: "web",
    id: "E1WEBSANDBOX01",
    description: "Public website",
    peakRequestsPerMinute: 12_000,
    config: {
      ...baseConfig("sandbox-web", "www.example.com", ["www.example.com", "example.com"]),
      Origins: { Quantity: 1, Items: [s3Origin("site", "example-site")] },
      DefaultCacheBehavior: legacyBehavior("site", { min: 0, default: 86_400, max: 31_536_000 }),
      CacheBehaviors: {
        Quantity: 1,
        Items: [
          {
            PathPattern: "/assets/*",
            ...legacyBehavior("site", { min: 0, default: 604_800, max: 31_536_000 }),
          },
        ],
      },
    },
  },
  {
    alias: "shop",
    id: "E2SHOPSANDBOX2",
    description: "Shop and its API",
    peakRequestsPerMinute: 4_000,
    config: {
      ...baseConfig("sandbox-shop", "shop.example.com", ["shop.example.com"]),
      Origins: {
        Quantity: 2,
        Items: [s3Origin("storefront", "example-shop"), customOrigin("api", "api.shop.example.com")],
      },
      DefaultCacheBehavior: legacyBehavior("storefront", { min: 0, default: 3_600, max: 86_400 }),
      CacheBehaviors: {
        Quantity: 1,
        Items: [{ PathPattern: "/api/*", ...policyBehavior("api", CACHING_OPTIMIZED) }],
      },
      // Its pages carry product tags (`Cache-Tag: product-42, sale`): `/cdn purge shop tag:sale` works.
      CacheTagConfig: { HeaderName: "Cache-Tag" },
    },
  },
  {
    alias: "docs",
    id: "E3DOCSSANDBOX3",
    description: "Documentation",
    peakRequestsPerMinute: 1_500,
    config: {
      ...baseConfig("sandbox-docs", "docs.example.com", ["docs.example.com"]),
      // HTTP/2 only: CloudFront's continuous deployment does not take HTTP/3, so docs is the demo
      // distribution whose changes can be staged (`/cdn ttl docs default=900 --staged 10%`).
      HttpVersion: "http2",
      Origins: { Quantity: 1, Items: [s3Origin("docs", "example-docs")] },
      DefaultCacheBehavior: legacyBehavior("docs", { min: 60, default: 3_600, max: 86_400 }),
    },
  },
  {
    alias: "saas",
    id: "E4SAASSANDBOX4",
    description: "Customers' sites (multi-tenant)",
    peakRequestsPerMinute: 2_500,
    config: {
      ...baseConfig("sandbox-saas", "Customers' sites", []),
      // Multi-tenant distributions serve their tenants' domains only, with a parameter each.
      ConnectionMode: "tenant-only",
      TenantConfig: {
        ParameterDefinitions: [
          {
            Name: "origin",
            Definition: { StringSchema: { Required: true, Comment: "The customer's origin host" } },
          },
          { Name: "theme", Definition: { StringSchema: { Required: false, DefaultValue: "light" } } },
        ],
      },
      Origins: { Quantity: 1, Items: [customOrigin("customer", "origin.example-saas.com")] },
      DefaultCacheBehavior: legacyBehavior("customer", { min: 0, default: 300, max: 3_600 }),
    },
    tenants: [
      {
        name: "acme",
        domains: ["acme.example-saas.com"],
        parameters: [{ name: "origin", value: "acme.origin.example-saas.com" }],
      },
      {
        name: "globex",
        domains: ["globex.example-saas.com", "www.globex.example"],
        parameters: [
          { name: "origin", value: "globex.origin.example-saas.com" },
          { name: "theme", value: "dark" },
        ],
      },
    ],
  },
];

/** A key-value store such as a CloudFront Function reads redirects from (the built-in simulation only). */
export type DemoKeyValueStore = {
  alias: string;
  arn: string;
  description: string;
  items: Record<string, string>;
};

export const DEMO_KEY_VALUE_STORES: DemoKeyValueStore[] = [
  {
    alias: "redirects",
    arn: "arn:aws:cloudfront::123456789012:key-value-store/sandbox-redirects",
    description: "Redirects the website's function reads",
    items: {
      "/old-pricing": "/pricing",
      "/blog/launch": "https://blog.example.com/launch",
      "/careers": "https://jobs.example.com",
    },
  },
];
