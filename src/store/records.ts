import { z } from "zod";
import { policyActionSchema } from "../config/policy-schema.js";
import {
  cachePolicyCopySchema,
  cachePolicyTargetSchema,
  changeSpecSchema,
  fieldDiffSchema,
  headersPolicyCreateSchema,
  iacOwnerSchema,
} from "./change-spec.js";
import { failureSchema } from "./failures.js";
import { stagedRunSchema, stagedTrafficSchema } from "./staged-run.js";

export const actorSchema = z.object({ userId: z.string(), teamId: z.string() });
export type Actor = z.infer<typeof actorSchema>;

/**
 * Where a request came from, when not from Slack: the API client, the Idempotency-Key it sent and a
 * fingerprint of what it asked (a retry with the same key and the same request is the same
 * operation; the same key with another request is refused), and where to report the end.
 */
export const originSchema = z.object({
  client: z.string(),
  idempotencyKey: z.string().optional(),
  fingerprint: z.string(),
  callbackUrl: z.string().optional(),
});
export type Origin = z.infer<typeof originSchema>;

/** How the callback of a finished operation is going: tried, delivered, or given up. */
export const callbackDeliverySchema = z.object({
  attempts: z.number().int().default(0),
  nextAt: z.number().optional(),
  deliveredAt: z.number().optional(),
  gaveUpAt: z.number().optional(),
  lastError: z.string().optional(),
});
export type CallbackDelivery = z.infer<typeof callbackDeliverySchema>;

/**
 * `received`: stored before the requester was answered, not yet checked against the policy (a
 * restart carries it out); `requested`: accepted, waiting for its batch to be sent.
 */
export const purgeStateSchema = z.enum(["received", "requested", "in-progress", "completed", "failed"]);
export type PurgeState = z.infer<typeof purgeStateSchema>;

/** A purge from the moment it is asked for until its thread has its final message. */
/** What a purge costs and the room it takes, as it was before it was sent or put to approval. */
export const purgePreviewSchema = z.object({
  paths: z.number(),
  wildcards: z.number(),
  tags: z.number(),
  usd: z.number(),
  /** Free paths of the month used before this purge. */
  freeUsedBefore: z.number(),
  /** On its distribution at CloudFront then: paths (tags among them) and wildcards in progress. */
  inFlight: z.object({ paths: z.number(), wildcards: z.number() }),
});
export type PurgePreview = z.infer<typeof purgePreviewSchema>;

export const purgeOperationSchema = z.object({
  /** Bumped by every write: the condition that keeps two writers from both moving it. */
  version: z.number().int().default(0),
  id: z.string(),
  kind: z.literal("purge"),
  alias: z.string(),
  distributionId: z.string(),
  paths: z.array(z.string()),
  /** A purge of one tenant of a multi-tenant distribution: its name, and its id once looked up. */
  tenant: z.object({ name: z.string(), id: z.string().optional() }).optional(),
  preview: purgePreviewSchema.optional(),
  /** Who approved it, and when (its request's approvals): the channel keeps seeing who let it through. */
  approvedBy: z.array(z.object({ userId: z.string(), at: z.number() })).optional(),
  /** The batch (one invalidation) this purge was coalesced into. */
  batchId: z.string().optional(),
  requestedBy: actorSchema,
  channelId: z.string(),
  messageTs: z.string().optional(),
  state: purgeStateSchema,
  invalidationId: z.string().optional(),
  requestedAt: z.number(),
  createdAt: z.number().optional(),
  finishedAt: z.number().optional(),
  failure: failureSchema.optional(),
  /** Why it failed, in words: kept by versions before failures had codes. */
  error: z.string().optional(),
  notes: z.array(z.string()).default([]),
  // What the thread has been told, so a restart neither repeats nor skips a reply.
  announced: z.object({ created: z.boolean(), final: z.boolean() }).default({ created: false, final: false }),
  /**
   * When a post of the parent message, or of the final reply, was begun: stored before posting, so
   * after a crash the bot looks for the message it may have posted before posting it again.
   */
  posting: z.object({ parent: z.number().optional(), final: z.number().optional() }).optional(),
  /** Notes already told in the thread (queued, retrying …), so each is said once. */
  told: z.array(z.string()).default([]),
  origin: originSchema.optional(),
  callback: callbackDeliverySchema.optional(),
});
export type PurgeOperation = z.infer<typeof purgeOperationSchema>;

export const batchStateSchema = z.enum(["open", "waiting", "sending", "in-progress", "completed", "failed"]);

/**
 * One invalidation and the purges coalesced into it. Its CallerReference is derived from its id and
 * stored before CreateInvalidation is called, so a retry after a crash gets the same invalidation.
 */
export const purgeBatchSchema = z.object({
  /** Bumped by every write: the condition that keeps two writers from both moving it. */
  version: z.number().int().default(0),
  id: z.string(),
  distributionId: z.string(),
  /** Set for a tenant's invalidation (CreateInvalidationForDistributionTenant). */
  tenantId: z.string().optional(),
  operationIds: z.array(z.string()),
  paths: z.array(z.string()),
  callerReference: z.string(),
  state: batchStateSchema,
  openedAt: z.number(),
  /** When the coalescing window closes and the batch may be sent. */
  sendAt: z.number(),
  attempts: z.number().default(0),
  waitingReason: z.string().optional(),
  invalidationId: z.string().optional(),
  createdAt: z.number().optional(),
  finishedAt: z.number().optional(),
  nextPollAt: z.number().optional(),
  failure: failureSchema.optional(),
  /** Why it failed, in words: kept by versions before failures had codes. */
  error: z.string().optional(),
});
export type PurgeBatch = z.infer<typeof purgeBatchSchema>;

export const approvalStateSchema = z.enum(["pending", "approved", "rejected", "expired", "cancelled"]);
export type ApprovalState = z.infer<typeof approvalStateSchema>;

export const purgePayloadSchema = z.object({
  kind: z.literal("purge"),
  paths: z.array(z.string()),
  notes: z.array(z.string()).default([]),
  preview: purgePreviewSchema.optional(),
});

export const changePayloadSchema = z.object({
  kind: z.literal("change"),
  spec: changeSpecSchema,
  /** The preview: before → after of every field the change touches, read when it was asked. */
  diffs: z.array(fieldDiffSchema),
  summary: z.string(),
  /** Set when the fields live in a cache policy: the write goes there, and every user of it deploys. */
  policy: cachePolicyTargetSchema.optional(),
  /** Set when the behaviour's policy is AWS's: a copy with the new TTLs is made and pointed at. */
  policyCopy: cachePolicyCopySchema.optional(),
  /** Set when the change creates a response headers policy (nothing deploys until it is attached). */
  policyCreate: headersPolicyCreateSchema.optional(),
  /** Set when the change writes a key-value store's keys. */
  keyValueStore: z.object({ arn: z.string() }).optional(),
  /** A logging v2 change: the distribution's access log delivery, in CloudWatch Logs. */
  logDelivery: z.literal(true).optional(),
  /** Set when the change goes to a staging copy first, with this share of the traffic. */
  staged: stagedTrafficSchema.optional(),
  /** Infrastructure as code owns the distribution (its tags said so when the change was previewed). */
  iac: iacOwnerSchema.optional(),
  /** Why, in the requester's words (`--reason`). */
  reason: z.string().optional(),
});

/** Creating an environment distribution from a template, or deleting one. */
export const environmentPayloadSchema = z.object({
  kind: z.literal("environment"),
  action: z.enum(["create", "delete"]),
  /** The environment's record: the create request's id. */
  environmentId: z.string(),
  name: z.string(),
  template: z.string(),
  originDomain: z.string(),
  aliasHost: z.string().optional(),
  summary: z.string(),
});
export type EnvironmentPayload = z.infer<typeof environmentPayloadSchema>;

export const approvalPayloadSchema = z.discriminatedUnion("kind", [
  purgePayloadSchema,
  changePayloadSchema,
  environmentPayloadSchema,
]);
export type ApprovalPayload = z.infer<typeof approvalPayloadSchema>;

/** A risky action waiting for people to approve it; the buttons carry only its id. */
export const approvalRequestSchema = z.object({
  /** Bumped by every write: the condition that keeps two writers from both moving it. */
  version: z.number().int().default(0),
  id: z.string(),
  action: policyActionSchema,
  alias: z.string(),
  distributionId: z.string(),
  requestedBy: actorSchema,
  channelId: z.string(),
  messageTs: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
  approvalsRequired: z.number(),
  state: approvalStateSchema,
  approvals: z.array(z.object({ userId: z.string(), at: z.number() })).default([]),
  decidedBy: z.object({ userId: z.string(), at: z.number(), reason: z.string().optional() }).optional(),
  payload: approvalPayloadSchema,
  /** Set once the approved action was handed over, so it runs once whatever happens after. */
  executedAt: z.number().optional(),
  /** Whether the message in the channel already shows the final state (buttons gone). */
  messageSettled: z.boolean().default(false),
  estimatedCost: z.string().optional(),
  origin: originSchema.optional(),
  callback: callbackDeliverySchema.optional(),
  /**
   * A request for one tenant of a multi-tenant distribution: its name (its policy is the tenant's,
   * where the config gives one) and its id as CloudFront knows it.
   */
  tenant: z.object({ name: z.string(), id: z.string().optional() }).optional(),
});
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

/**
 * A change run at once under break-glass (its requester may, the policy says, and gave a reason),
 * open until an approver acknowledges it: its message in the channel, a reminder a day until then.
 * Its id is the change's.
 */
export const reviewSchema = z.object({
  /** Bumped by every write: the condition that keeps two writers from both moving it. */
  version: z.number().int().default(0),
  id: z.string(),
  alias: z.string(),
  distributionId: z.string(),
  /** A tenant's change: the tenant's name (its policy names the approvers). */
  tenant: z.string().optional(),
  requestedBy: actorSchema,
  channelId: z.string(),
  /** Why glass was broken, in the requester's words. */
  reason: z.string(),
  summary: z.string(),
  createdAt: z.number(),
  /** The review's own message (with its Acknowledge button), once posted. */
  messageTs: z.string().optional(),
  /** When the approvers were last reminded (stored before the reminder is posted: at most one a day). */
  remindedAt: z.number().optional(),
});
export type Review = z.infer<typeof reviewSchema>;

/** What a Workflow Builder step was asked, parsed at the edge (its inputs as the bot reads them). */
export const stepInputSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("purge"), distribution: z.string(), paths: z.array(z.string()) }),
  z.object({ kind: z.literal("wait-purged"), purgeId: z.string() }),
  z.object({ kind: z.literal("wait-deployed"), changeId: z.string() }),
  z.object({
    kind: z.literal("change"),
    distribution: z.string(),
    spec: changeSpecSchema,
    reason: z.string().optional(),
  }),
]);
export type StepInput = z.infer<typeof stepInputSchema>;

/**
 * One run of a Workflow Builder step (Slack's function execution, by its id): what it asked, the
 * purge or change it started or follows, and how it ended. Kept until Slack was told the end, so a
 * step that outlives a restart still completes; then deleted, its trail in the audit log.
 */
export const stepSchema = z.object({
  /** Bumped by every write: the condition that keeps two writers from both moving it. */
  version: z.number().int().default(0),
  /** Slack's function_execution_id. */
  id: z.string(),
  input: stepInputSchema,
  /** The workflow's runner, who the step acts as (policy, approvals, audit). */
  actor: actorSchema,
  /** Where what the step starts gets its thread. */
  channelId: z.string().optional(),
  /** The purge or change (its request id) the step started or follows. */
  operationId: z.string().optional(),
  /** received: stored, nothing started yet; running: its purge or change exists; ended: told next. */
  state: z.enum(["received", "running", "succeeded", "failed"]),
  outputs: z.record(z.string(), z.string()).optional(),
  error: z.string().optional(),
  createdAt: z.number(),
  endedAt: z.number().optional(),
});
export type Step = z.infer<typeof stepSchema>;

export const auditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.number(),
  type: z.string(),
  actor: actorSchema.optional(),
  channelId: z.string().optional(),
  alias: z.string().optional(),
  distributionId: z.string().optional(),
  requestId: z.string().optional(),
  operationId: z.string().optional(),
  summary: z.string(),
  outcome: z.enum(["ok", "error"]).optional(),
  awsRequestId: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
/** What a workflow says happened; the store gives it its sequence number and time. */
export type AuditRecord = Omit<AuditEntry, "seq" | "at">;

export const watchedMetricSchema = z.enum(["5xxErrorRate", "4xxErrorRate"]);
export type WatchedMetric = z.infer<typeof watchedMetricSchema>;

/** A channel that gets a distribution's activity and alerts without asking. */
export const watchSchema = z.object({
  /** Bumped by every write: the condition that keeps two writers from both moving it. */
  version: z.number().int().default(0),
  id: z.string(),
  alias: z.string(),
  distributionId: z.string(),
  channelId: z.string(),
  thresholds: z.record(watchedMetricSchema, z.number()),
  createdBy: actorSchema,
  createdAt: z.number(),
});
export type Watch = z.infer<typeof watchSchema>;

export const alertStateSchema = z.object({
  /** Bumped by every write: the condition that keeps two writers from both moving it. */
  version: z.number().int().default(0),
  watchId: z.string(),
  metric: watchedMetricSchema,
  state: z.enum(["ok", "breached"]),
  since: z.number(),
  lastAlertAt: z.number().optional(),
  lastValue: z.number().optional(),
});
export type AlertState = z.infer<typeof alertStateSchema>;

/** A distribution change from its approval until CloudFront says Deployed. */
export const changeOperationSchema = z.object({
  /** Bumped by every write: the condition that keeps two writers from both moving it. */
  version: z.number().int().default(0),
  id: z.string(),
  alias: z.string(),
  distributionId: z.string(),
  spec: changeSpecSchema,
  diffs: z.array(fieldDiffSchema),
  summary: z.string(),
  /** Set when the fields live in a cache policy: the write goes there, and every user of it deploys. */
  policy: cachePolicyTargetSchema.optional(),
  /** Set when the behaviour's policy is AWS's: a copy with the new TTLs is made and pointed at. */
  policyCopy: cachePolicyCopySchema.optional(),
  /** Set when the change creates a response headers policy (nothing deploys until it is attached). */
  policyCreate: headersPolicyCreateSchema.optional(),
  /** Set for a change of one tenant: its fields live in the tenant (UpdateDistributionTenant). */
  tenant: z.object({ name: z.string(), id: z.string() }).optional(),
  /** Set for a change of a key-value store's keys (UpdateKeys); the change's alias is the store's. */
  keyValueStore: z.object({ arn: z.string() }).optional(),
  /** A logging v2 change: the distribution's access log delivery, in CloudWatch Logs. */
  logDelivery: z.literal(true).optional(),
  /** Set for a staged change: written to the staging copy, soaked, then promoted or pulled back. */
  staged: stagedRunSchema.optional(),
  /** Run at once under break-glass, though the policy wanted approval: the reason (reviewed after). */
  breakGlass: z.object({ reason: z.string() }).optional(),
  /** Who approved it, and when (its request's approvals): the channel keeps seeing who let it through. */
  approvedBy: z.array(z.object({ userId: z.string(), at: z.number() })).optional(),
  /** Infrastructure as code owns the distribution (its tags said so when the change was previewed). */
  iac: iacOwnerSchema.optional(),
  /** Why, in the requester's words (`--reason`). */
  reason: z.string().optional(),
  requestedBy: actorSchema,
  channelId: z.string(),
  messageTs: z.string().optional(),
  /** `staged`: written to the staging copy and serving its share (`staged.phase` says how far). */
  state: z.enum(["writing", "staged", "deploying", "deployed", "failed"]),
  requestedAt: z.number(),
  /** Stored right before UpdateDistribution: after a crash, the write may have reached AWS. */
  writeStartedAt: z.number().optional(),
  writtenAt: z.number().optional(),
  finishedAt: z.number().optional(),
  nextPollAt: z.number().optional(),
  failure: failureSchema.optional(),
  /** Why it failed, in words: kept by versions before failures had codes. */
  error: z.string().optional(),
  told: z.array(z.string()).default([]),
  announced: z
    .object({ written: z.boolean().default(false), final: z.boolean() })
    .default({ written: false, final: false }),
  origin: originSchema.optional(),
  callback: callbackDeliverySchema.optional(),
});
export type ChangeOperation = z.infer<typeof changeOperationSchema>;

export const environmentStateSchema = z.enum([
  "creating",
  "deploying",
  "ready",
  "disabling",
  "deleting",
  "deleted",
  "failed",
]);
export type EnvironmentState = z.infer<typeof environmentStateSchema>;

/** A request to delete an environment: who asked, where its thread is, how far it got. */
export const environmentDeletionSchema = z.object({
  /** The delete request's id (its approval's, when it needed one). */
  id: z.string(),
  requestedBy: actorSchema,
  channelId: z.string(),
  messageTs: z.string().optional(),
  requestedAt: z.number(),
  /** Stored right before the UpdateDistribution that disables it. */
  disableStartedAt: z.number().optional(),
  /** When CloudFront took the disable; then it deploys, and only then may it be deleted. */
  disabledAt: z.number().optional(),
  /** Stored right before DeleteDistribution: after a crash, the delete may have reached AWS. */
  deleteStartedAt: z.number().optional(),
  told: z.array(z.string()).default([]),
  origin: originSchema.optional(),
});
export type EnvironmentDeletion = z.infer<typeof environmentDeletionSchema>;

/**
 * An environment distribution the bot made from a template: from the request to create it, while it
 * serves (one of the bot's distributions, under its name), until it is deleted.
 *
 *   creating ─▶ deploying ─▶ ready ─(delete)─▶ disabling ─▶ deleting ─▶ deleted
 *      └─▶ failed                                  └──(refused)──▶ ready
 */
export const environmentSchema = z.object({
  /** Bumped by every write: the condition that keeps two writers from both moving it. */
  version: z.number().int().default(0),
  /** The create request's id; also the distribution's CallerReference, so a retried create finds it. */
  id: z.string(),
  name: z.string(),
  template: z.string(),
  /** The template's `from` distribution when it was made (its alias). */
  source: z.string(),
  originDomain: z.string(),
  aliasHost: z.string().optional(),
  distributionId: z.string().optional(),
  domainName: z.string().optional(),
  state: environmentStateSchema,
  requestedBy: actorSchema,
  channelId: z.string(),
  messageTs: z.string().optional(),
  requestedAt: z.number(),
  /** Stored right before CreateDistribution: after a crash, the create may have reached AWS. */
  createStartedAt: z.number().optional(),
  createdAt: z.number().optional(),
  readyAt: z.number().optional(),
  deletion: environmentDeletionSchema.optional(),
  finishedAt: z.number().optional(),
  nextPollAt: z.number().optional(),
  /** Why creating it failed, or why the last delete was refused. */
  failure: failureSchema.optional(),
  /** Why it failed, in words: kept by versions before failures had codes. */
  error: z.string().optional(),
  told: z.array(z.string()).default([]),
  /**
   * Whether its threads were told how the create ended (ready or failed) and the delete ended: stored
   * before posting, so each is said at most once.
   */
  announced: z
    .object({ created: z.boolean(), deleted: z.boolean() })
    .default({ created: false, deleted: false }),
  origin: originSchema.optional(),
});
export type Environment = z.infer<typeof environmentSchema>;

/**
 * The live state, rewritten on every update: work in flight and what guards it. History is kept
 * elsewhere (the audit journal, the archive of finished records), so this stays small.
 */
export const storeDataSchema = z.object({
  version: z.literal(2),
  operations: z.array(purgeOperationSchema).default([]),
  batches: z.array(purgeBatchSchema).default([]),
  /** Invalidation paths sent to CloudFront per calendar month (UTC), as AWS bills them. */
  pathsBilled: z.record(z.string(), z.number()).default({}),
  approvals: z.array(approvalRequestSchema).default([]),
  /**
   * Audit entries saved with the state change they record, until they are appended to the audit
   * journal (right after the save): an outbox, so no entry is lost between the two.
   */
  audit: z.array(auditEntrySchema).default([]),
  /** The last audit sequence number handed out. */
  auditSeq: z.number().int().default(0),
  changes: z.array(changeOperationSchema).default([]),
  watches: z.array(watchSchema).default([]),
  /** Environment distributions the bot made and has not deleted yet (and, briefly, the just-deleted). */
  environments: z.array(environmentSchema).default([]),
  alertStates: z.array(alertStateSchema).default([]),
  /** Break-glass changes waiting for an approver to acknowledge them. */
  reviews: z.array(reviewSchema).default([]),
  /** Workflow Builder steps under way, until Slack is told how each ended. */
  steps: z.array(stepSchema).default([]),
  /** trigger_ids of Slack requests already handled, until a replay of them could no longer pass. */
  seenTriggers: z.record(z.string(), z.number()).default({}),
  /** Who holds each lease (a distribution's polling, say), and until when. */
  leases: z.record(z.string(), z.object({ holder: z.string(), until: z.number() })).default({}),
  /**
   * The sequence number of the last write-ahead log change this file includes: a replay after a
   * crash applies only the log's later ones, so none is applied twice.
   */
  walSeq: z.number().int().default(0),
});
export type StoreData = z.infer<typeof storeDataSchema>;

/** The state as releases before 0.2 wrote it: everything, history included, in one document. */
export const storeDataV1Schema = storeDataSchema.omit({ auditSeq: true }).extend({
  version: z.literal(1).default(1),
});
export type StoreDataV1 = z.infer<typeof storeDataV1Schema>;

export function emptyStoreData(): StoreData {
  return storeDataSchema.parse({ version: 2 });
}

/** A request's callback is still to be delivered (or given up): its record must stay live. */
export function callbackPending(record: { origin?: Origin; callback?: CallbackDelivery }): boolean {
  return (
    record.origin?.callbackUrl !== undefined &&
    record.callback?.deliveredAt === undefined &&
    record.callback?.gaveUpAt === undefined
  );
}
