import type { DistributionConfig } from "../aws/cloudfront-gateway.js";
import { HOSTNAME, WEB_ACL_ARN } from "../config/config-schema.js";
import { UserError } from "../errors.js";
import type { ChangeSpec, FieldDiff, FieldWrite } from "../store/change-spec.js";
import {
  type ChangeDocument,
  describePath,
  findBehavior,
  findOrigin,
  readField,
  writeField,
} from "./config-fields.js";
import { COUNTRY_CODES } from "./country-codes.js";

const behaviorPath = (name: string) => `behavior[${name === "*" ? "default" : name}]`;

/**
 * TTLs in order (min ≤ default ≤ max) once the change is made, read from where they live: the
 * behaviour's legacy settings, or its cache policy's config.
 */
export function checkTtls(holder: Record<string, unknown>, spec: Extract<ChangeSpec, { kind: "ttl" }>) {
  if (spec.minTtl === undefined && spec.defaultTtl === undefined && spec.maxTtl === undefined) {
    throw new UserError("Say which TTL to change: `min=`, `default=` and/or `max=`, in seconds.");
  }
  const behavior = holder;
  const min = spec.minTtl ?? Number(behavior.MinTTL ?? 0);
  const def = spec.defaultTtl ?? Number(behavior.DefaultTTL ?? 86_400);
  const max = spec.maxTtl ?? Number(behavior.MaxTTL ?? 31_536_000);
  if (!(min <= def && def <= max)) {
    throw new UserError(
      `TTLs must satisfy min ≤ default ≤ max; this change would make them min=${min}, default=${def}, max=${max}.`,
    );
  }
}

/** An HTTP header name as origins send them (RFC 9110's token, kept to what header names use). */
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Turns a typed change into the field writes it means for this config; refuses what cannot apply. */
export function compileChange(spec: ChangeSpec, config: DistributionConfig): FieldWrite[] {
  switch (spec.kind) {
    case "ttl":
      return compileTtl(spec, config);
    case "cache-policy":
      return compileCachePolicy(spec, config);
    case "origin":
      return compileOrigin(spec, config);
    case "target-origin":
      findBehavior(config, spec.behavior);
      findOrigin(config, spec.originId);
      return [{ path: `${behaviorPath(spec.behavior)}.TargetOriginId`, value: spec.originId }];
    case "geo":
      return compileGeo(spec);
    case "enabled":
      return [{ path: "distribution.Enabled", value: spec.enabled }];
    case "price-class":
      return [{ path: "distribution.PriceClass", value: spec.priceClass }];
    case "root-object":
      if (spec.defaultRootObject.startsWith("/") || spec.defaultRootObject.length > 255) {
        throw new UserError(
          "The default root object is a file name without a leading `/`, e.g. `index.html`.",
        );
      }
      return [{ path: "distribution.DefaultRootObject", value: spec.defaultRootObject }];
    case "cache-tags":
      if (spec.headerName !== null && !HEADER_NAME.test(spec.headerName))
        throw new UserError(
          "A cache-tag header is an HTTP header name: letters, digits and `-`, at most 128 characters, e.g. `Cache-Tag`.",
        );
      return [
        {
          path: "distribution.CacheTagConfig",
          value: spec.headerName === null ? undefined : { HeaderName: spec.headerName },
        },
      ];
    case "comment":
      if (spec.comment.length > 128) throw new UserError("CloudFront comments are at most 128 characters.");
      return [{ path: "distribution.Comment", value: spec.comment }];
    case "realtime-log":
      findBehavior(config, spec.behavior);
      return [
        {
          path: `${behaviorPath(spec.behavior)}.RealtimeLogConfigArn`,
          value: spec.realtimeLogConfigArn ?? undefined,
        },
      ];
    case "logging":
      return compileLogging(spec);
    case "response-headers-policy":
      return compileHeadersPolicyId(spec, config);
    case "headers-policy":
    case "headers-policy-create":
      // Its fields live in the policy, which is read (or made) where the change is previewed.
      throw new Error("a headers-policy change is compiled against the policy (response-headers.ts)");
    case "kv":
      throw new UserError("Keys belong to a key-value store: `/cdn kv <store> set <key> <value>`.");
    case "log-delivery":
      // Its fields live in CloudWatch Logs' deliveries, read where the change is previewed.
      throw new Error("a logging v2 change is compiled against its deliveries (log-delivery.ts)");
    case "tenant-parameters":
      throw new UserError(
        "Parameters belong to a tenant: name it as `<distribution>/<tenant>`, e.g. `/cdn params saas/acme origin=acme-prod`.",
      );
    case "web-acl":
      checkWebAclArn(spec.webAclArn);
      // CloudFront detaches a web ACL when the field is empty.
      return [{ path: "distribution.WebACLId", value: spec.webAclArn ?? "" }];
    case "rollback":
      return spec.writes;
  }
}

/** A web ACL CloudFront can use: a global one (us-east-1), by its ARN. */
export function checkWebAclArn(arn: string | null): void {
  if (arn !== null && !WEB_ACL_ARN.test(arn))
    throw new UserError(
      `\`${arn.slice(0, 200)}\` is not a web ACL for CloudFront: its ARN looks like arn:aws:wafv2:us-east-1:123456789012:global/webacl/<name>/<id> (CloudFront's web ACLs are global, in us-east-1).`,
    );
}

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** A log bucket's name, whether given as `name` or as CloudFront writes it, `name.s3.amazonaws.com`. */
export function logBucketName(bucket: string | undefined): string {
  return (bucket ?? "").replace(/\.s3\.amazonaws\.com$/, "");
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

// CloudFront answers an empty optional as "" or leaves it out; treat both alike.
function normalize(v: unknown): unknown {
  if (v === "" || v === null) return undefined;
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if ("Quantity" in o && o.Quantity === 0) return { ...o, Items: undefined };
    return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  }
  return v;
}

/** Before → after of every field the writes touch, leaving out those they would not change. */
export function diffWrites(config: ChangeDocument, writes: FieldWrite[]): FieldDiff[] {
  return writes
    .map((w) => ({
      path: w.path,
      label: describePath(w.path),
      before: readField(config, w.path),
      after: w.value,
    }))
    .filter((d) => !same(d.before, d.after));
}

/** A new config with the writes applied; the input is left as it was. */
export function applyWrites<T extends ChangeDocument>(config: T, writes: FieldWrite[]): T {
  const copy = structuredClone(config);
  for (const w of writes) writeField(copy, w.path, w.value);
  return copy;
}

/** Fields that someone else changed since the preview: their value now is not the previewed before. */
export function driftSince(
  config: ChangeDocument,
  preview: FieldDiff[],
): { label: string; previewed: unknown; now: unknown }[] {
  return preview
    .map((d) => ({ label: d.label, previewed: d.before, now: readField(config, d.path), after: d.after }))
    .filter((d) => !same(d.previewed, d.now))
    .map(({ label, previewed, now }) => ({ label, previewed, now }));
}

/** True when the config already holds every after-value: the write happened (before a crash, say). */
export function alreadyApplied(config: ChangeDocument, preview: FieldDiff[]): boolean {
  return preview.every((d) => same(readField(config, d.path), d.after));
}

export function inverseWrites(diffs: FieldDiff[]): FieldWrite[] {
  return diffs.map((d) => ({ path: d.path, value: d.before }));
}

/** A behaviour's TTLs, or its cache policy's when it has one. */
function compileTtl(spec: Extract<ChangeSpec, { kind: "ttl" }>, config: DistributionConfig): FieldWrite[] {
  const behavior = findBehavior(config, spec.behavior);
  // A behaviour on a cache policy keeps its TTLs there: the change is the policy's, checked
  // against the policy's own values when it is read (`cache-policy-change.ts`).
  const policyId = typeof behavior.CachePolicyId === "string" ? behavior.CachePolicyId : "";
  if (!policyId) checkTtls(behavior, spec);
  const at = policyId ? `cachePolicy[${policyId}]` : behaviorPath(spec.behavior);
  return [
    ...(spec.minTtl !== undefined ? [{ path: `${at}.MinTTL`, value: spec.minTtl }] : []),
    ...(spec.defaultTtl !== undefined ? [{ path: `${at}.DefaultTTL`, value: spec.defaultTtl }] : []),
    ...(spec.maxTtl !== undefined ? [{ path: `${at}.MaxTTL`, value: spec.maxTtl }] : []),
  ];
}

/** The cache policy a behaviour uses (one that has a policy already). */
function compileCachePolicy(
  spec: Extract<ChangeSpec, { kind: "cache-policy" }>,
  config: DistributionConfig,
): FieldWrite[] {
  const behavior = findBehavior(config, spec.behavior);
  if (!UUID.test(spec.cachePolicyId))
    throw new UserError(
      `\`${spec.cachePolicyId}\` is not a cache policy id (they look like 658327ea-f89d-4fab-a63d-7e88639e58f6).`,
    );
  if (!behavior.CachePolicyId) {
    throw new UserError(
      "This behaviour uses legacy cache settings (TTLs and forwarded values), not a cache policy; change its TTLs with `/cdn ttl` instead.",
    );
  }
  return [{ path: `${behaviorPath(spec.behavior)}.CachePolicyId`, value: spec.cachePolicyId }];
}

/** An origin's domain and path. */
function compileOrigin(
  spec: Extract<ChangeSpec, { kind: "origin" }>,
  config: DistributionConfig,
): FieldWrite[] {
  findOrigin(config, spec.originId);
  if (spec.domainName === undefined && spec.originPath === undefined)
    throw new UserError("Say what to change: `domain=` and/or `path=`.");
  if (spec.domainName !== undefined && !HOSTNAME.test(spec.domainName))
    throw new UserError(`\`${spec.domainName}\` is not a valid domain name.`);
  if (
    spec.originPath !== undefined &&
    spec.originPath !== "" &&
    (!spec.originPath.startsWith("/") || spec.originPath.endsWith("/"))
  ) {
    throw new UserError(
      "An origin path starts with `/` and does not end with one, e.g. `/production`; `path=` with nothing clears it.",
    );
  }
  const at = `origin[${spec.originId}]`;
  return [
    ...(spec.domainName !== undefined ? [{ path: `${at}.DomainName`, value: spec.domainName }] : []),
    ...(spec.originPath !== undefined ? [{ path: `${at}.OriginPath`, value: spec.originPath }] : []),
  ];
}

/** The geographic restriction: none, or an allow or block list of ISO country codes. */
function compileGeo(spec: Extract<ChangeSpec, { kind: "geo" }>): FieldWrite[] {
  const codes = spec.countries.map((c) => c.toUpperCase());
  const unknown = codes.filter((c) => !COUNTRY_CODES.has(c));
  if (unknown.length > 0)
    throw new UserError(
      `Not ISO 3166-1 country codes: ${unknown.map((c) => `\`${c}\``).join(", ")}. Use two letters, e.g. \`US\`, \`DE\`.`,
    );
  if (spec.restriction !== "none" && codes.length === 0)
    throw new UserError("Name at least one country, e.g. `US,CA`.");
  const unique = [...new Set(codes)].sort();
  return [
    {
      path: "distribution.Restrictions.GeoRestriction",
      value:
        spec.restriction === "none"
          ? { RestrictionType: "none", Quantity: 0 }
          : { RestrictionType: spec.restriction, Quantity: unique.length, Items: unique },
    },
  ];
}

/** Standard (access) logging to an S3 bucket, or off. */
function compileLogging(spec: Extract<ChangeSpec, { kind: "logging" }>): FieldWrite[] {
  if (!spec.enabled)
    return [
      {
        path: "distribution.Logging",
        value: { Enabled: false, IncludeCookies: false, Bucket: "", Prefix: "" },
      },
    ];
  const bucket = logBucketName(spec.bucket);
  if (!S3_BUCKET.test(bucket))
    throw new UserError(
      `\`${bucket}\` is not an S3 bucket name (3–63 lower-case letters, digits, \`.\` or \`-\`).`,
    );
  const prefix = spec.prefix ?? "";
  if (prefix.startsWith("/") || prefix.length > 256)
    throw new UserError("A log prefix does not start with `/`, e.g. `web/`.");
  return [
    {
      path: "distribution.Logging",
      value: {
        Enabled: true,
        IncludeCookies: spec.includeCookies ?? false,
        Bucket: `${bucket}.s3.amazonaws.com`,
        Prefix: prefix,
      },
    },
  ];
}

/** The response headers policy a behaviour uses, or none. */
function compileHeadersPolicyId(
  spec: Extract<ChangeSpec, { kind: "response-headers-policy" }>,
  config: DistributionConfig,
): FieldWrite[] {
  findBehavior(config, spec.behavior);
  if (spec.responseHeadersPolicyId !== null && !UUID.test(spec.responseHeadersPolicyId))
    throw new UserError(
      `\`${spec.responseHeadersPolicyId.slice(0, 100)}\` is not a response headers policy id (they look like 67f7725c-6f97-4210-82d7-5512b31e9d03).`,
    );
  return [
    {
      path: `${behaviorPath(spec.behavior)}.ResponseHeadersPolicyId`,
      value: spec.responseHeadersPolicyId ?? undefined,
    },
  ];
}
