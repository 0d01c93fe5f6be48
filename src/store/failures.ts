import { z } from "zod";

/** The document a write was about: the distribution's config, or a policy it uses. */
export const documentRefSchema = z.union([
  z.object({ kind: z.literal("distribution") }),
  z.object({ kind: z.enum(["cache-policy", "response-headers-policy"]), name: z.string() }),
  z.object({ kind: z.enum(["distribution-tenant", "key-value-store", "log-delivery"]), name: z.string() }),
]);
export type DocumentRef = z.infer<typeof documentRefSchema>;

/**
 * Why a purge, a change or an environment step failed, as a code and its parameters: records keep
 * facts, and each surface (a Slack thread, the API, the CLI) words them when it shows them
 * (`workflow/failures.ts`), so a record written today reads right after the words change.
 */
export const failureSchema = z.discriminatedUnion("code", [
  /** AWS refused, for a reason that will not pass by waiting: its error code and its own message. */
  z.object({
    code: z.literal("aws-refused"),
    /** What was being done: an environment says which of its steps was refused. */
    step: z.enum(["create", "disable", "delete"]).optional(),
    awsCode: z.string(),
    awsMessage: z.string().optional(),
  }),
  /** CloudFront stopped answering for an invalidation it had made (GetInvalidation refused). */
  z.object({ code: z.literal("invalidation-lost"), awsCode: z.string(), awsMessage: z.string().optional() }),
  /** The fields a change writes were changed by someone else between the preview and the write. */
  z.object({
    code: z.literal("changed-since-preview"),
    document: documentRefSchema,
    fields: z.array(z.object({ label: z.string(), previewed: z.string(), now: z.string() })),
  }),
  /** A behaviour was pointed at another cache policy while its copy was being made. */
  z.object({
    code: z.literal("policy-swapped-since-preview"),
    behavior: z.string(),
    was: z.string(),
    now: z.string(),
    copy: z.string(),
  }),
  /** Someone else created a response headers policy of the name asked for. */
  z.object({ code: z.literal("policy-name-taken"), name: z.string() }),
  /** The ETag went stale on two writes in a row. */
  z.object({ code: z.literal("etag-kept-changing"), document: documentRefSchema }),
  /** The request no longer fits what it would change (our own check, its words). */
  z.object({ code: z.literal("no-longer-applies"), reason: z.string() }),
  /**
   * A staged change taken back before it reached the primary: its metrics breached (the figures,
   * worded), or a person aborted it.
   */
  z.object({
    code: z.literal("staged-pulled-back"),
    because: z.enum(["breach", "abort"]),
    detail: z.string(),
  }),
  /** The primary or its staging copy changed since the staged change was set up: not promoted. */
  z.object({ code: z.literal("staging-diverged"), fields: z.array(z.string()) }),
  /** An environment's template, or the distribution it copies, left the config. */
  z.object({ code: z.literal("template-gone"), template: z.string(), source: z.string() }),
]);
export type Failure = z.infer<typeof failureSchema>;
export type FailureCode = Failure["code"];

export const FAILURE_CODES = failureSchema.options.map((o) => o.shape.code.value) as [
  FailureCode,
  ...FailureCode[],
];
