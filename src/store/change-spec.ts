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
