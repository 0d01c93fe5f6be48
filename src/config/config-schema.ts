import { z } from "zod";
import { durationSchema, policySchema, principalsSchema } from "./policy-schema.js";

export const purgeSettingsSchema = z
  .strictObject({
    coalesceWindow: durationSchema
      .default(2000)
      .describe("Purges of one distribution within this window become one invalidation. 0s turns it off."),
    monthlyPathCap: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Invalidation paths a month past which every purge needs approval. Unset: no cap."),
    invalidationsPerSecond: z
      .number()
      .positive()
      .max(100)
      .default(0.5)
      .describe(
        "CreateInvalidation calls per second per AWS account, at most (CloudFront's own limit is about 0.5/s); the bot halves it while AWS throttles and creeps back. Purges waiting for their turn keep coalescing.",
      ),
    invalidationBurst: z
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe("CreateInvalidation calls an account may make at once after a quiet spell."),
  })
  .describe("How purges are batched and what they may cost.");

export const changeSettingsSchema = z
  .strictObject({
    updatesPerMinute: z
      .number()
      .positive()
      .max(600)
      .default(2)
      .describe(
        "UpdateDistribution calls a minute per distribution, at most (CloudFront throttles after two or three); two at once after a quiet spell. A change past it waits for its turn, its ETag read just before its write.",
      ),
  })
  .describe("How changes are written.");

export const stagingSettingsSchema = z
  .strictObject({
    soak: durationSchema
      .default(15 * 60_000)
      .describe(
        "How long a staged change (`--staged`) serves its share of the traffic, its metrics read beside the primary's, before it may be promoted.",
      ),
    checkEvery: durationSchema
      .default(60_000)
      .describe(
        "How often a soaking change's metrics are read (CloudFront publishes one datapoint a minute).",
      ),
    breachDatapoints: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(2)
      .describe(
        "Consecutive one-minute datapoints past a threshold before a staged change is pulled back (the hysteresis of watches, shorter: traffic goes back within two periods of a breach).",
      ),
    max5xxIncrease: z
      .number()
      .min(0)
      .max(100)
      .default(1)
      .describe(
        "Pulled back when the staging 5xx rate exceeds the primary's by more than this (percentage points).",
      ),
    max4xxIncrease: z
      .number()
      .min(0)
      .max(100)
      .default(5)
      .describe(
        "Pulled back when the staging 4xx rate exceeds the primary's by more than this (percentage points).",
      ),
    maxLatencyRatio: z
      .number()
      .min(1)
      .max(100)
      .default(1.5)
      .describe("Pulled back when the staging origin latency exceeds the primary's times this."),
    stickiness: durationSchema
      .refine((ms) => ms >= 300_000 && ms <= 3_600_000, "must be from 5m to 1h (CloudFront's bounds)")
      .optional()
      .describe(
        "With a weight, keeps a viewer on the side it first got for this long (CloudFront's session stickiness, 5m to 1h); none if unset.",
      ),
    autoPromote: z
      .array(z.string())
      .default([])
      .describe(
        "Distributions (aliases) whose staged changes are promoted as soon as their soak passes; the others wait for `/cdn promote`.",
      ),
  })
  .describe("Staged changes: a staging copy, a share of the traffic, a metric gate, then promotion.");

export const retentionSettingsSchema = z
  .strictObject({
    finished: durationSchema
      .default(30 * 86_400_000)
      .describe(
        "How long finished purges, approvals and changes stay available (for late clicks and `/cdn rollback`) after they finish. The audit log keeps their trail for good.",
      ),
  })
  .describe("What the bot keeps of finished work.");

// Each key carries its own description so error messages and the config table in docs/configuration.md come from one place.
export const alertSettingsSchema = z
  .strictObject({
    checkEvery: durationSchema
      .default(60_000)
      .describe("How often watched distributions' error rates are read."),
    minDatapoints: z
      .number()
      .int()
      .min(1)
      .max(30)
      .default(3)
      .describe(
        "Consecutive one-minute datapoints past a threshold before an alert (and below it before a recovery).",
      ),
    recoveryRatio: z
      .number()
      .gt(0)
      .max(1)
      .default(0.8)
      .describe(
        "A breach recovers once the rate is below threshold × this ratio: hysteresis against flapping.",
      ),
    cooldown: durationSchema
      .default(15 * 60_000)
      .describe("At most one alert per metric per watch in this period."),
  })
  .describe("Error-rate alerts for watched distributions.");

/** A distribution tenant's name, as `<distribution>/<tenant>` addresses it. */
export const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const distributionIdSchema = z
  .string()
  .regex(
    /^[A-Z0-9]{8,20}$/,
    "must be a CloudFront distribution id such as E2EXAMPLE123 (capital letters and digits)",
  )
  .describe("The CloudFront distribution id, as shown in the console (e.g. E2EXAMPLE123).");

export const distributionConfigSchema = z
  .strictObject({
    id: distributionIdSchema,
    description: z.string().max(200).optional().describe("Free text shown in `/cdn list`."),
    policy: policySchema.optional().describe("Overrides of the default policy for this distribution."),
    roleArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
        "must be an IAM role ARN such as arn:aws:iam::123456789012:role/cdnbot",
      )
      .optional()
      .describe(
        "A role to assume for this distribution, when it lives in another AWS account than the bot's credentials.",
      ),
    externalId: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, "must be 2–1224 letters, digits or + = , . @ : / - _")
      .optional()
      .describe("The external id the role's trust policy asks for (only with `roleArn`)."),
    channel: z
      .string()
      .regex(/^[CG][A-Z0-9]{2,}$/, "must be a Slack channel id such as C024BE91L")
      .optional()
      .describe(
        "The Slack channel where requests made through the HTTP API or MCP get their thread (and wait for approval). Required for those.",
      ),
    tenants: z
      .record(
        z.string().regex(TENANT_NAME, "must be a tenant's name as CloudFront shows it, such as `acme`"),
        z
          .strictObject({
            policy: policySchema.describe(
              "Overrides of this distribution's policy for purges and changes of this tenant (`saas/acme`).",
            ),
          })
          .describe("One tenant of a multi-tenant distribution, by its name."),
      )
      .optional()
      .describe(
        "Per-tenant policy for a multi-tenant distribution: a tenant not named here follows the distribution's policy.",
      ),
  })
  .refine((d) => d.externalId === undefined || d.roleArn !== undefined, {
    path: ["externalId"],
    message: "an external id goes with a `roleArn`; name the role to assume",
  })
  .describe("One distribution the bot may act on, under the alias people type in Slack.");

export const aliasSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,39}$/i,
    "aliases are 1–40 letters, digits, `-` or `_`, starting with a letter or digit",
  );

export const storeSettingsSchema = z
  .strictObject({
    dynamodb: z
      .strictObject({
        table: z
          .string()
          .regex(
            /^[a-zA-Z0-9_.-]{3,255}$/,
            "must be a DynamoDB table name: 3–255 letters, digits, `_`, `-` or `.`",
          )
          .describe(
            "The table (made at first start when the credentials allow, else by `npm run create-table`).",
          ),
      })
      .describe("Keep state in one DynamoDB table instead of a file (see docs/state-and-replicas.md)."),
  })
  .describe("Where the bot keeps its state. Unset: a lowdb file (`CDNBOT_DATA`), for one process.");

export const API_ACTIONS = ["purge", "change", "environment"] as const;
export type ApiAction = (typeof API_ACTIONS)[number];

export const apiClientSchema = z
  .strictObject({
    kind: z
      .enum(["pipeline", "agent"])
      .default("pipeline")
      .describe("What it is, as Slack names it: “requested by pipeline `web-deploy`” or “by agent `…`”."),
    tokenHash: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, "must be the `sha256:…` line `npm run api-token` printed")
      .describe(
        "The SHA-256 of its token, as `npm run api-token -- <name>` prints it (the token itself is never stored).",
      ),
    distributions: z
      .array(z.union([aliasSchema, z.literal("*")]))
      .min(1, "name the distributions it may use, or `*` for all")
      .describe(
        "The aliases it may read and act on; `*` for every distribution. An environment template's name covers the environments made from it.",
      ),
    actions: z
      .array(z.enum(API_ACTIONS))
      .default([])
      .describe(
        "What it may ask for beyond reading: `purge`, `change`, `environment` (create and delete environments from the templates it names). Default none: read-only.",
      ),
    requestsPerMinute: z
      .int()
      .min(1)
      .max(10_000)
      .default(60)
      .describe(
        "Requests that ask for something (purges, changes, environments) it may make in any minute, per replica; past it, 429 with Retry-After.",
      ),
    openRequests: z
      .int()
      .min(1)
      .max(1_000)
      .default(20)
      .describe("Its requests that may wait for approval at once; past it, 429 until people decide some."),
    clientIps: z
      .boolean()
      .default(false)
      .describe(
        "Whether it sees client IP addresses whole in access log summaries (`GET …/logs`, `cdn_access_logs`) and may filter by one; otherwise they are masked to their network (/24, /48). They are personal data.",
      ),
    rawLogLines: z
      .boolean()
      .default(false)
      .describe(
        "Whether it may ask for a sample of raw access log lines (`sample=`, at most 50) beside the sums: they hold client addresses whole and whatever clients sent. Otherwise it gets the sums only.",
      ),
    monthlyPathCap: z
      .int()
      .min(0)
      .default(1_000)
      .describe(
        "Invalidation paths a month its purges may take without a person's approval (default 1,000, CloudFront's free tier); past it, a purge waits for approval like one past `purge.monthlyPathCap`.",
      ),
  })
  .describe("One client of the HTTP API and the MCP server (a pipeline, an agent), keyed by its name.");

export const apiSettingsSchema = z
  .strictObject({
    clients: z
      .record(
        z
          .string()
          .regex(
            /^[a-z0-9][a-z0-9_-]{0,39}$/,
            "client names are 1–40 lower-case letters, digits, `-` or `_`",
          ),
        apiClientSchema,
      )
      .default({})
      .describe("The clients that may call the API, keyed by name."),
    callbacks: z
      .strictObject({
        allowedHosts: z
          .array(
            z
              .string()
              .regex(
                /^[a-z0-9.-]+(:[1-9][0-9]{0,4})?$/i,
                "must be a host name such as ci.example.com, or host:port such as ci.example.com:8443",
              ),
          )
          .default([])
          .describe(
            "Hosts a request's `callbackUrl` may point at (https; plain http only for localhost): `host` on the default port only, `host:port` on that port. Set CDNBOT_CALLBACK_SECRET to sign them.",
          ),
      })
      .optional()
      .describe("Where the bot may POST an operation's final state when it ends."),
    mcp: z
      .strictObject({
        allowedOrigins: z
          .array(
            z
              .url()
              .regex(
                /^https?:\/\/[^/]+$/,
                "an origin is a scheme and a host, e.g. https://agents.example.com",
              ),
          )
          .default([])
          .describe(
            "Browser origins (`Origin` header) `POST /mcp` serves; any other origin is refused with 403. Requests without an Origin (agents, the CLI) are not affected.",
          ),
      })
      .optional()
      .describe("The MCP server on `POST /mcp`."),
  })
  .describe("The HTTP API (`/api/v1/…`) for pipelines and agents: who may call it and what each may do.");

export const accessLogSettingsSchema = z
  .strictObject({
    buckets: z
      .array(
        z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name such as security-logs"),
      )
      .default([])
      .describe(
        "The S3 buckets `/cdn logging` may send standard access logs to, and `/cdn logs` may read them from; `npm run iam-policy` grants s3:GetBucketAcl and s3:PutBucketAcl on them (CloudFront adds its log delivery to the bucket's ACL as the bot), and s3:ListBucket and s3:GetObject.",
      ),
    logGroups: z
      .array(z.string().regex(/^[A-Za-z0-9_\-/.#]{1,512}$/, "must be a CloudWatch Logs log group name"))
      .default([])
      .describe("The CloudWatch Logs log groups `/cdn logging … on to=logs:<group>` may deliver to."),
    firehoseStreams: z
      .array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be a Firehose stream name"))
      .default([])
      .describe("The Firehose streams `/cdn logging … on to=firehose:<stream>` may deliver to."),
    clientIpsVisibleTo: principalsSchema
      .optional()
      .describe(
        "Who sees client IP addresses whole in `/cdn logs` (they are personal data); others see them masked to their network (/24, /48) and may not filter by them. Unset: each distribution's approvers; where its policy names none, nobody.",
      ),
    maxReadMegabytes: z
      .int()
      .min(1)
      .max(100_000)
      .default(2048)
      .describe(
        "The most log data (as stored, gzipped) one `/cdn logs` reads; past it, the summary stops at the hour it reached and says so.",
      ),
  })
  .describe("Access logs: where `/cdn logging` may send them, and how `/cdn logs` reads them.");

/** A DNS host name with at least one dot (what an origin, an alias or a domain is). */
export const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;

const hostSchema = z.string().regex(HOSTNAME, "must be a host name such as preview.example.com");

export const environmentTemplateSchema = z
  .strictObject({
    from: aliasSchema.describe(
      "The distribution (an alias in `distributions`) whose config each environment copies, in whose account it is made, and whose policy it follows.",
    ),
    aliasDomain: hostSchema
      .optional()
      .describe(
        "The domain an environment's `alias=` must be directly under (`pr-42.preview.example.com` for `preview.example.com`). Unset: environments get no alias, only their CloudFront domain.",
      ),
    certificateArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/,
        "must be an ACM certificate ARN in us-east-1 (CloudFront's region)",
      )
      .optional()
      .describe("The ACM certificate (us-east-1) that covers `*.<aliasDomain>`; needed with `aliasDomain`."),
    channel: z
      .string()
      .regex(/^[CG][A-Z0-9]{2,}$/, "must be a Slack channel id such as C024BE91L")
      .optional()
      .describe("The channel for its environments' API requests. Default: the `from` distribution's."),
  })
  .refine((t) => (t.aliasDomain === undefined) === (t.certificateArn === undefined), {
    path: ["certificateArn"],
    message: "an alias needs a certificate that covers it: set `aliasDomain` and `certificateArn` together",
  })
  .describe("A template for environment distributions, keyed by the name `/cdn env create` takes.");

export const environmentSettingsSchema = z
  .strictObject({
    templates: z
      .record(aliasSchema, environmentTemplateSchema)
      .default({})
      .describe("The templates, by name."),
    max: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .describe(
        "The most environments the bot keeps at once (each is a distribution that serves, and bills, traffic).",
      ),
    distributionsQuota: z
      .number()
      .int()
      .min(1)
      .default(200)
      .describe(
        "The account's quota of distributions (AWS's default is 200; raise it here when AWS raised yours). A create that would pass it is refused.",
      ),
  })
  .describe(
    "Environment distributions (`/cdn env`): short-lived copies of a distribution, such as previews.",
  );

/** A CloudFront web ACL's ARN: CloudFront's web ACLs are global, kept in us-east-1. */
export const WEB_ACL_ARN =
  /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[\w-]{1,128}\/[\w-]{1,128}$/;

export const wafSettingsSchema = z
  .strictObject({
    webAcls: z
      .array(
        z
          .string()
          .regex(
            WEB_ACL_ARN,
            "must be the ARN of a CloudFront (global, us-east-1) web ACL: arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>",
          ),
      )
      .default([])
      .describe(
        "The AWS WAF web ACLs `/cdn waf attach` may put in front of a distribution; `npm run iam-policy` grants wafv2:GetWebACL on them (CloudFront reads the ACL as the bot).",
      ),
  })
  .describe("AWS WAF (`/cdn waf`).");

/** A CloudFront KeyValueStore's ARN, as the console and DescribeKeyValueStore show it. */
export const KVS_ARN = /^arn:aws[a-z-]*:cloudfront::\d{12}:key-value-store\/[\w-]{1,64}$/;

export const keyValueStoreConfigSchema = z
  .strictObject({
    arn: z
      .string()
      .regex(KVS_ARN, "must be a key-value store's ARN: arn:aws:cloudfront::<account>:key-value-store/<id>")
      .describe("The store's ARN (in the bot's own AWS account)."),
    description: z
      .string()
      .max(200)
      .optional()
      .describe("Free text, e.g. what the store's function does with it."),
    channel: z
      .string()
      .regex(/^[CG][A-Z0-9]{2,}$/, "must be a Slack channel id such as C024BE91L")
      .optional()
      .describe("Where requests made through the HTTP API or MCP get their thread."),
    policy: policySchema.optional().describe("Overrides of the default policy for writes to this store."),
    importFrom: z
      .array(
        z
          .string()
          .regex(
            /^(https:\/\/[^/\s]+|http:\/\/(127\.0\.0\.1|localhost)(:\d+)?)\/\S*$/,
            "must be an https:// URL prefix ending in a path, such as https://raw.githubusercontent.com/acme/edge/main/",
          ),
      )
      .optional()
      .describe(
        "The URL prefixes `/cdn kv <store> import <url>` may read a batch of keys from (https only; nothing else is fetched, and redirects are not followed).",
      ),
  })
  .describe("One CloudFront KeyValueStore `/cdn kv` may read and change, under the alias people type.");

/** Tags that mark a distribution as owned by infrastructure as code, beside CloudFormation's own. */
export const iacSettingsSchema = z
  .strictObject({
    tags: z
      .array(
        z
          .string()
          .regex(
            /^[^=\s]{1,128}(=[^=]{1,256})?$/,
            "must be a tag as `key=value` (managed-by=terraform) or `key` (any value)",
          ),
      )
      .default([])
      .describe(
        "Resource tags that say a distribution is owned by infrastructure as code, as `key=value` (`managed-by=terraform`) or `key` (whatever its value). CloudFormation's `aws:cloudformation:stack-name` is always recognised. Policy says what a change then does (`iacManaged`).",
      ),
  })
  .describe("Infrastructure as code: which distributions it owns, read from their tags before each change.");

export const configSchema = z
  .strictObject({
    store: storeSettingsSchema.optional(),
    accessLogs: accessLogSettingsSchema.optional(),
    waf: wafSettingsSchema.optional(),
    iac: iacSettingsSchema.optional(),
    api: apiSettingsSchema.optional(),
    environments: environmentSettingsSchema.optional(),
    policy: policySchema.optional().describe("The default policy for every distribution."),
    purge: purgeSettingsSchema.default({
      coalesceWindow: 2000,
      invalidationsPerSecond: 0.5,
      invalidationBurst: 3,
    }),
    changes: changeSettingsSchema.default({ updatesPerMinute: 2 }),
    staging: stagingSettingsSchema.default({
      soak: 15 * 60_000,
      checkEvery: 60_000,
      breachDatapoints: 2,
      max5xxIncrease: 1,
      max4xxIncrease: 5,
      maxLatencyRatio: 1.5,
      autoPromote: [],
    }),
    alerts: alertSettingsSchema.default({
      checkEvery: 60_000,
      minDatapoints: 3,
      recoveryRatio: 0.8,
      cooldown: 15 * 60_000,
    }),
    retention: retentionSettingsSchema.default({ finished: 30 * 86_400_000 }),
    distributions: z
      .record(aliasSchema, distributionConfigSchema)
      .refine((d) => Object.keys(d).length > 0, "name at least one distribution")
      .describe("The distributions the bot may act on, keyed by the alias people type in Slack."),
    keyValueStores: z
      .record(aliasSchema, keyValueStoreConfigSchema)
      .optional()
      .describe(
        "The CloudFront KeyValueStores (read by CloudFront Functions: redirects, flags, block lists) `/cdn kv` may read and change; no other store is touched.",
      ),
  })
  .superRefine((config, ctx) => {
    for (const alias of Object.keys(config.keyValueStores ?? {}))
      if (config.distributions[alias])
        ctx.addIssue({
          code: "custom",
          path: ["keyValueStores", alias],
          message: `\`${alias}\` already names a distribution; give the store another alias`,
        });
    const seen = new Map<string, string>();
    for (const [alias, dist] of Object.entries(config.distributions)) {
      const first = seen.get(dist.id);
      if (first) {
        ctx.addIssue({
          code: "custom",
          path: ["distributions", alias, "id"],
          message: `${dist.id} is already configured as \`${first}\`; give each distribution one alias`,
        });
      }
      seen.set(dist.id, alias);
    }
    for (const [name, client] of Object.entries(config.api?.clients ?? {})) {
      client.distributions.forEach((alias, i) => {
        if (
          alias !== "*" &&
          !config.distributions[alias] &&
          !config.environments?.templates[alias] &&
          !config.keyValueStores?.[alias]
        )
          ctx.addIssue({
            code: "custom",
            path: ["api", "clients", name, "distributions", i],
            message: `there is no distribution \`${alias}\` in \`distributions\` (nor such an environment template or key-value store)`,
          });
      });
    }
    for (const [name, template] of Object.entries(config.environments?.templates ?? {})) {
      if (!config.distributions[template.from])
        ctx.addIssue({
          code: "custom",
          path: ["environments", "templates", name, "from"],
          message: `there is no distribution \`${template.from}\` in \`distributions\``,
        });
      if (config.distributions[name])
        ctx.addIssue({
          code: "custom",
          path: ["environments", "templates", name],
          message: `\`${name}\` is already a distribution's alias; give the template another name`,
        });
    }
  });

export type CdnbotConfig = z.infer<typeof configSchema>;
export type DistributionConfig = z.infer<typeof distributionConfigSchema>;
export type KeyValueStoreConfig = z.infer<typeof keyValueStoreConfigSchema>;
export type ApiClientConfig = z.infer<typeof apiClientSchema>;
export type EnvironmentTemplate = z.infer<typeof environmentTemplateSchema>;
