import { z } from "zod";

/** "default" or a behaviour's path pattern. */
const behavior = z.string().min(1);
const ttl = z.number().int().min(0).max(3_153_600_000);

export const fieldWriteSchema = z.object({ path: z.string(), value: z.unknown() });
export type FieldWrite = z.infer<typeof fieldWriteSchema>;

/** A typed change to a distribution, as asked for in Slack; stored with the request that carries it. */
export const changeSpecSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("ttl"),
    behavior,
    minTtl: ttl.optional(),
    defaultTtl: ttl.optional(),
    maxTtl: ttl.optional(),
  }),
  z.object({ kind: z.literal("cache-policy"), behavior, cachePolicyId: z.string() }),
  z.object({
    kind: z.literal("origin"),
    originId: z.string(),
    domainName: z.string().optional(),
    originPath: z.string().optional(),
  }),
  z.object({ kind: z.literal("target-origin"), behavior, originId: z.string() }),
  z.object({
    kind: z.literal("geo"),
    restriction: z.enum(["none", "whitelist", "blacklist"]),
    countries: z.array(z.string()),
  }),
  z.object({ kind: z.literal("enabled"), enabled: z.boolean() }),
  z.object({
    kind: z.literal("price-class"),
    priceClass: z.enum(["PriceClass_100", "PriceClass_200", "PriceClass_All"]),
  }),
  z.object({ kind: z.literal("root-object"), defaultRootObject: z.string() }),
  z.object({ kind: z.literal("comment"), comment: z.string() }),
  z.object({ kind: z.literal("realtime-log"), behavior, realtimeLogConfigArn: z.string().nullable() }),
  // Standard access logs to an S3 bucket (the bucket's name; CloudFront's `<name>.s3.amazonaws.com`).
  z.object({
    kind: z.literal("logging"),
    enabled: z.boolean(),
    bucket: z.string().optional(),
    prefix: z.string().optional(),
    includeCookies: z.boolean().optional(),
  }),
  /**
   * Standard logging v2: the distribution's access logs delivered (CloudWatch Logs' vended logs) to
   * `s3:<bucket>[/prefix]`, `logs:<log-group>` or `firehose:<stream>`, or no longer (null).
   */
  z.object({
    kind: z.literal("log-delivery"),
    destination: z
      .string()
      .regex(
        /^(s3:[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9!_.*'()/-]{0,200})?|logs:[A-Za-z0-9_\-/.#]{1,512}|firehose:[A-Za-z0-9_.-]{1,64})$/,
        "must be s3:<bucket>[/prefix], logs:<log-group> or firehose:<stream>",
      )
      .nullable(),
    format: z.enum(["w3c", "json", "parquet", "plain"]).optional(),
    fields: z
      .array(z.string().regex(/^[a-z0-9()-]{1,64}$/i, "a field is a CloudFront log field name, such as c-ip"))
      .min(1)
      .max(60)
      .optional(),
  }),
  // The response headers policy of a behaviour (its id; null takes it away).
  z.object({
    kind: z.literal("response-headers-policy"),
    behavior,
    responseHeadersPolicyId: z.string().nullable(),
  }),
  // A custom response headers policy's security headers (its id, or its name until it is resolved).
  z.object({
    kind: z.literal("headers-policy"),
    policy: z.string().min(1),
    hstsMaxAge: z.number().int().min(0).max(1_000_000_000).optional(),
    csp: z.string().max(1783).nullable().optional(),
    frameOption: z.enum(["DENY", "SAMEORIGIN"]).nullable().optional(),
    header: z.object({ name: z.string(), value: z.string() }).optional(),
  }),
  // A new custom response headers policy, in the distribution's account, with these headers.
  z.object({
    kind: z.literal("headers-policy-create"),
    name: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "1–128 letters, digits, `-` or `_`"),
    hstsMaxAge: z.number().int().min(0).max(1_000_000_000).optional(),
    csp: z.string().max(1783).nullable().optional(),
    frameOption: z.enum(["DENY", "SAMEORIGIN"]).nullable().optional(),
    header: z.object({ name: z.string(), value: z.string() }).optional(),
  }),
  // The AWS WAF web ACL in front of the distribution (its ARN; null detaches it).
  z.object({ kind: z.literal("web-acl"), webAclArn: z.string().nullable() }),
  /**
   * A tenant's parameters (the values its distribution's config uses for it), by name; null takes
   * one away. Names and values as CloudFront takes them.
   */
  z.object({
    kind: z.literal("tenant-parameters"),
    set: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,128}$/), z.string().min(1).max(256).nullable()),
  }),
  /**
   * Keys of a CloudFront KeyValueStore (its alias is the change's target): each key's new value, or
   * null to delete it. At most 50, as one UpdateKeys takes.
   */
  z.object({
    kind: z.literal("kv"),
    set: z
      .record(z.string().min(1).max(512), z.string().max(1024).nullable())
      .refine((s) => Object.keys(s).length >= 1 && Object.keys(s).length <= 50, "1 to 50 keys"),
  }),
  /** The response header CloudFront reads cache tags from (null: tag purges off). */
  z.object({ kind: z.literal("cache-tags"), headerName: z.string().nullable() }),
  // A rollback: the before-values of an earlier change, written back as they were.
  z.object({ kind: z.literal("rollback"), of: z.string(), writes: z.array(fieldWriteSchema) }),
]);
export type ChangeSpec = z.infer<typeof changeSpecSchema>;

export const fieldDiffSchema = z.object({
  path: z.string(),
  label: z.string(),
  before: z.unknown(),
  after: z.unknown(),
});
export type FieldDiff = z.infer<typeof fieldDiffSchema>;

/**
 * A change whose fields live in a cache policy, not in the distribution: the policy, and its blast
 * radius as read for the preview (which behaviours of the bot's distributions use it, and every
 * distribution of the account that does: all of them deploy the change).
 */
export const cachePolicyTargetSchema = z.object({
  /** Which kind of policy: its fields, its ETag and its users are read and written with its own calls. */
  kind: z.enum(["cache", "response-headers"]).default("cache"),
  id: z.string(),
  name: z.string(),
  usedBy: z.array(
    z.object({ alias: z.string(), distributionId: z.string(), behaviors: z.array(z.string()) }),
  ),
  distributionIds: z.array(z.string()),
});
export type CachePolicyTarget = z.infer<typeof cachePolicyTargetSchema>;

/**
 * A TTL change on a behaviour whose cache policy AWS manages (read-only): the bot makes a custom copy
 * with the new TTLs, under a name derived from the change (so a retry finds it), and points this
 * behaviour at it. The managed policy and its other users are untouched.
 */
export const cachePolicyCopySchema = z.object({
  fromId: z.string(),
  fromName: z.string(),
  name: z.string(),
  behavior: z.string(),
  ttl: z.object({ min: z.number(), default: z.number(), max: z.number() }),
  /** The copy's TTLs against the managed policy's, for the preview. */
  ttlDiffs: z.array(fieldDiffSchema),
});
export type CachePolicyCopy = z.infer<typeof cachePolicyCopySchema>;

/** A response headers policy a change creates: its name and config, as CloudFront takes it. */
export const headersPolicyCreateSchema = z.object({
  name: z.string(),
  config: z.record(z.string(), z.unknown()),
});
export type HeadersPolicyCreate = z.infer<typeof headersPolicyCreateSchema>;

/** Infrastructure as code owns the distribution: which tool, and the tag that says so (`key=value`). */
export const iacOwnerSchema = z.object({ tool: z.string(), tag: z.string() });
export type IacOwner = z.infer<typeof iacOwnerSchema>;
