import type {
  CachePolicyConfig,
  DistributionConfig,
  ResponseHeadersPolicyConfig,
  TenantDocument,
} from "../aws/cloudfront-gateway.js";

/** What a change's field paths are read from: a distribution's config, a policy's, or a tenant. */
export type ChangeDocument =
  | DistributionConfig
  | CachePolicyConfig
  | ResponseHeadersPolicyConfig
  | TenantDocument
  | KeyValueDocument
  | LogDeliveryDocument;

/**
 * A distribution's logging v2 delivery, as people say it: `s3:<bucket>/<prefix>`, `logs:<group>` or
 * `firehose:<stream>`; its format; its fields, comma-separated (none: CloudFront's defaults).
 */
export type LogDeliveryDocument = { Destination?: string; Format?: string; Fields?: string };

/** The keys of a key-value store a change touches, as read just now (a missing key is absent). */
export type KeyValueDocument = { Keys: Record<string, string> };

/** `kv[<key>]`: a key of a key-value store (its key may hold any character, dots and brackets too). */
const KV_PATH = /^kv\[([\s\S]*)\]$/;

/** The key a `kv[<key>]` path names, or undefined for any other path. */
export function kvKeyOf(path: string): string | undefined {
  return KV_PATH.exec(path)?.[1];
}

import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";

type Obj = Record<string, unknown>;

/** Path patterns may be written with or without their leading slash. */
function samePattern(a: string, b: string): boolean {
  return a.replace(/^\//, "") === b.replace(/^\//, "");
}

export function behaviorNames(config: DistributionConfig): string[] {
  return ["default", ...(config.CacheBehaviors?.Items ?? []).map((b) => b.PathPattern ?? "")];
}

export function findBehavior(config: DistributionConfig, name: string): Obj {
  if (name === "default" || name === "*") {
    if (!config.DefaultCacheBehavior) throw new UserError("This distribution has no default behaviour.");
    return config.DefaultCacheBehavior as unknown as Obj;
  }
  const found = (config.CacheBehaviors?.Items ?? []).find((b) => samePattern(b.PathPattern ?? "", name));
  if (!found) {
    throw new UserError(
      `This distribution has no behaviour for \`${name}\`. Its behaviours: ${behaviorNames(config)
        .map((n) => `\`${n}\``)
        .join(", ")}.`,
    );
  }
  return found as unknown as Obj;
}

export function findOrigin(config: DistributionConfig, id: string): Obj {
  const found = (config.Origins?.Items ?? []).find((o) => o.Id === id);
  if (!found) {
    const ids = (config.Origins?.Items ?? []).map((o) => `\`${o.Id}\``).join(", ");
    throw new UserError(`This distribution has no origin \`${id}\`. Its origins: ${ids}.`);
  }
  return found as unknown as Obj;
}

/**
 * Resolves `distribution.A.B`, `behavior[P].F` or `origin[ID].F` (in a distribution's config),
 * `cachePolicy[ID].F` (in that cache policy's config) or `tenant.F` (in a tenant, its parameters as
 * `tenant.Parameters.<name>`) to the object holding the last key.
 */
function locate(document: ChangeDocument, path: string): { holder: Obj; key: string } {
  const match =
    /^(distribution|tenant|delivery|cachePolicy\[.+?\]|headersPolicy\[.+?\]|behavior\[(.+?)\]|origin\[(.+?)\])\.(.+)$/.exec(
      path,
    );
  if (!match) throw new Error(`not a field path: ${path}`);
  const [, scope, behavior, origin, rest] = match;
  const config = document as DistributionConfig;
  let holder: Obj =
    scope === "distribution" ||
    scope === "tenant" ||
    scope === "delivery" ||
    scope?.startsWith("cachePolicy[") ||
    scope?.startsWith("headersPolicy[")
      ? (document as unknown as Obj)
      : behavior !== undefined
        ? findBehavior(config, behavior)
        : findOrigin(config, origin!);
  const keys = rest!.split(".");
  for (const key of keys.slice(0, -1)) {
    const next = holder[key];
    if (typeof next !== "object" || next === null) holder[key] = {};
    holder = holder[key] as Obj;
  }
  return { holder, key: keys.at(-1)! };
}

export function readField(config: ChangeDocument, path: string): unknown {
  const kvKey = kvKeyOf(path);
  if (kvKey !== undefined) return (config as KeyValueDocument).Keys[kvKey];
  const { holder, key } = locate(config, path);
  return holder[key];
}

/** Sets a field; `undefined` removes it (how CloudFront detaches a real-time log config). */
export function writeField(config: ChangeDocument, path: string, value: unknown): void {
  const kvKey = kvKeyOf(path);
  if (kvKey !== undefined) {
    const keys = (config as KeyValueDocument).Keys;
    if (value === undefined || value === null) delete keys[kvKey];
    else keys[kvKey] = String(value);
    return;
  }
  const { holder, key } = locate(config, path);
  if (value === undefined || value === null) delete holder[key];
  else holder[key] = value;
}

// A response headers policy's fields, as the headers they send.
const HEADER_WORDS: Record<string, string> = {
  "SecurityHeadersConfig.StrictTransportSecurity": "Strict-Transport-Security",
  "SecurityHeadersConfig.ContentSecurityPolicy": "Content-Security-Policy",
  "SecurityHeadersConfig.FrameOptions": "X-Frame-Options",
  CustomHeadersConfig: "custom headers",
};

// CloudFront's field names as people say them.
const FIELD_WORDS: Record<string, string> = {
  "Restrictions.GeoRestriction": "geo restriction",
  Logging: "access logging",
  Destination: "access logs (logging v2) to",
  Format: "log format",
  Fields: "log fields",
  Enabled: "enabled",
  PriceClass: "price class",
  DefaultRootObject: "default root object",
  Comment: "comment",
  MinTTL: "minimum TTL",
  DefaultTTL: "default TTL",
  MaxTTL: "maximum TTL",
  CachePolicyId: "cache policy",
  WebACLId: "web ACL",
  WebACLArn: "web ACL",
  CacheTagConfig: "cache-tag header",
  ResponseHeadersPolicyId: "response headers policy",
  TargetOriginId: "origin",
  RealtimeLogConfigArn: "real-time log config",
  DomainName: "domain",
  OriginPath: "origin path",
};

/** A field path as a person reads it: `default behaviour · default TTL`, `geo restriction`. */
export function describePath(path: string): string {
  const kvKey = kvKeyOf(path);
  // A key is what a person wrote: in a code span, never formatting.
  if (kvKey !== undefined) return `key ${quote(kvKey)}`;
  const policy = /^cachePolicy\[(.+?)\]\.(.+)$/.exec(path);
  if (policy) return `cache policy ${policy[1]} · ${FIELD_WORDS[policy[2]!] ?? policy[2]}`;
  const tenant = /^tenant\.(.+)$/.exec(path);
  if (tenant) {
    const parameter = /^Parameters\.(.+)$/.exec(tenant[1]!);
    return `tenant · ${parameter ? `parameter ${parameter[1]}` : (FIELD_WORDS[tenant[1]!] ?? tenant[1])}`;
  }
  const delivery = /^delivery\.(.+)$/.exec(path);
  if (delivery) return FIELD_WORDS[delivery[1]!] ?? delivery[1]!;
  const headers = /^headersPolicy\[(.+?)\]\.(.+)$/.exec(path);
  if (headers) return `response headers policy ${headers[1]} · ${HEADER_WORDS[headers[2]!] ?? headers[2]}`;
  const match = /^(distribution|behavior\[(.+?)\]|origin\[(.+?)\])\.(.+)$/.exec(path);
  if (!match) return path;
  const [, scope, behavior, origin, field = ""] = match;
  const words = FIELD_WORDS[field] ?? field;
  if (scope === "distribution") return words;
  const where =
    behavior !== undefined
      ? behavior === "default"
        ? "default behaviour"
        : `behaviour ${behavior}`
      : `origin ${origin}`;
  return `${where} · ${words}`;
}
