import type { DistributionConfig } from "../../src/aws/cloudfront-gateway.js";

/** A realistic config: a legacy default behaviour with TTLs, a cache-policy behaviour, two origins. */
export function aDistributionConfig(): DistributionConfig {
  return {
    CallerReference: "ref",
    Comment: "Public website",
    Enabled: true,
    DefaultRootObject: "index.html",
    PriceClass: "PriceClass_100",
    Origins: {
      Quantity: 2,
      Items: [
        {
          Id: "site",
          DomainName: "site.s3.amazonaws.com",
          OriginPath: "",
          S3OriginConfig: { OriginAccessIdentity: "" },
        },
        {
          Id: "api",
          DomainName: "api.example.com",
          OriginPath: "/v1",
          CustomOriginConfig: { HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: "https-only" },
        },
      ],
    },
    DefaultCacheBehavior: {
      TargetOriginId: "site",
      ViewerProtocolPolicy: "redirect-to-https",
      MinTTL: 0,
      DefaultTTL: 86_400,
      MaxTTL: 31_536_000,
      ForwardedValues: { QueryString: false, Cookies: { Forward: "none" } },
    },
    CacheBehaviors: {
      Quantity: 1,
      Items: [
        {
          PathPattern: "/api/*",
          TargetOriginId: "api",
          ViewerProtocolPolicy: "https-only",
          CachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        },
      ],
    },
    Restrictions: { GeoRestriction: { RestrictionType: "none", Quantity: 0 } },
  };
}
