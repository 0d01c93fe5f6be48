import { newRequestId, openApprovalRequest } from "../approvals/approval-service.js";
import { authorizeRequest, mayAsk } from "../approvals/authorize-request.js";
import { breakGlassAudit, mayBreakGlass, newReview, postReview } from "../approvals/break-glass.js";
import { type EffectivePolicy, effectivePolicy, needsApproval } from "../approvals/policy.js";
import type { DistributionConfig } from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import { NotInChannelError, UserError } from "../errors.js";
import type { ChangeSpec, FieldDiff } from "../store/change-spec.js";
import { ConflictError } from "../store/record-store.js";
import type { Actor, ApprovalRequest, ChangeOperation, Origin } from "../store/records.js";
import type { StagedTraffic } from "../store/staged-run.js";
import { plural, quote } from "../text/plain-text.js";
import type { ChangeDeps } from "./change-deps.js";
import { type ChangePreview, previewChange, readConfig } from "./change-preview.js";
import { applyEvent } from "./change-steps.js";
import { runChange } from "./change-writer.js";
import { changeNothingMessage, diffLines } from "./describe-change.js";
import { checkIacOwnership } from "./iac-ownership.js";
import { keyValueStoreNamed, keyValueStoreOrRefuse, previewKeyValueChange } from "./key-value-stores.js";
import { inverseWrites, logBucketName } from "./plan-change.js";
import { shareOf } from "./staged-machine.js";
import { previewTenantChange } from "./tenant-change.js";

export type ChangeRequest = {
  distribution: string;
  spec: ChangeSpec;
  actor: Actor;
  channelId: string;
  /** The change's id (an API request's); otherwise a new one. */
  id?: string;
  origin?: Origin;
  /** Written to the distribution's staging copy first, with this share of the traffic (`--staged`). */
  staged?: StagedTraffic;
  /** Why, in the requester's words (`--reason`): shown with the preview, kept in the audit. */
  reason?: string;
  /** Run now though it needs approval (`--break-glass "…"`): the reason, reviewed afterwards. */
  breakGlass?: string;
};

export function describeSpec(spec: ChangeSpec, diffs: FieldDiff[]): string {
  return spec.kind === "rollback"
    ? `rollback of ${spec.of}: ${diffLines(diffs).join("; ")}`
    : diffLines(diffs).join("; ");
}

/** Access logs go only to a bucket the config lists: logs hold visitors' addresses. */
function checkLogBucket(config: CdnbotConfig, spec: ChangeSpec): void {
  if (spec.kind !== "logging" || !spec.enabled) return;
  const allowed = config.accessLogs?.buckets ?? [];
  const bucket = logBucketName(spec.bucket);
  if (!allowed.includes(bucket))
    throw new UserError(
      `Access logs may go only to the buckets the config lists under \`accessLogs.buckets\` (${allowed.length ? allowed.map(quote).join(", ") : "none yet"}); ${quote(bucket)} is not one. Nothing was sent.`,
    );
}

/**
 * Standard logging (legacy) writes with the bucket's ACL, and CloudFront refuses a bucket with ACLs
 * disabled ("does not enable ACL access"), which is how S3 makes buckets since April 2023: said
 * before anything is asked, with the way that works. A bucket whose setting cannot be read is left
 * to CloudFront's answer.
 */
async function checkLegacyBucket(deps: ChangeDeps, distribution: string, spec: ChangeSpec): Promise<void> {
  if (spec.kind !== "logging" || !spec.enabled || !deps.accessLogs) return;
  const bucket = logBucketName(spec.bucket);
  const ownership = await deps.accessLogs.bucketOwnership(bucket).catch(() => undefined);
  if (ownership === "BucketOwnerEnforced")
    throw new UserError(
      `Bucket ${quote(bucket)} has ACLs disabled (Object Ownership: bucket owner enforced, how S3 makes buckets since April 2023), and standard logging (legacy) needs them: CloudFront would refuse it. Deliver with logging v2 instead: \`/cdn logging ${distribution} on to=s3:${bucket}\`. Nothing was sent.`,
    );
}

/** A web ACL goes in front of a distribution only if the config lists it (and grants reading it). */
function checkWebAcl(config: CdnbotConfig, spec: ChangeSpec): void {
  if (spec.kind !== "web-acl" || spec.webAclArn === null) return;
  const allowed = config.waf?.webAcls ?? [];
  if (!allowed.includes(spec.webAclArn))
    throw new UserError(
      `I attach only the web ACLs the config lists under \`waf.webAcls\` (${allowed.length ? allowed.map(quote).join(", ") : "none yet"}); ${quote(spec.webAclArn.slice(0, 200))} is not one. Nothing was sent.`,
    );
}

/**
 * Previews a change against the live config and asks for approval (or, where the policy needs none,
 * runs it). A change that changes nothing, or cannot apply, is refused before anything is sent.
 */
export async function requestChange(deps: ChangeDeps, request: ChangeRequest): Promise<string> {
  // A key-value store's keys are its own kind of change, under the store's policy.
  if (keyValueStoreNamed(deps.config, request.distribution) || request.spec.kind === "kv")
    return requestKeyValueChange(deps, request);
  // `saas/acme` is one tenant of a multi-tenant distribution: its policy, its fields.
  const named = deps.directory.resolveTarget(request.distribution);
  const { target, policy } = await authorizeRequest(
    deps,
    { ...request, distribution: named.distribution.alias, ...(named.tenant ? { tenant: named.tenant } : {}) },
    "change",
  );
  checkLogBucket(deps.config, request.spec);
  await checkLegacyBucket(deps, named.distribution.alias, request.spec);
  checkWebAcl(deps.config, request.spec);

  const { config } = await readConfig(deps, target.id);
  await refuseBesideStaged(deps, target, request);
  // Before the preview: a refused change costs no further reads.
  const reason = request.reason ?? request.breakGlass;
  const iac = await checkIacOwnership(deps, target, {
    iacManaged: policy.iacManaged,
    markers: deps.config.iac?.tags ?? [],
    ...(reason ? { reason } : {}),
  });
  const { asksApproval, breakGlass } = await approvalOrBreakGlass(deps, policy, request, target.alias);
  // Its id first: a copy of a managed policy is named after the change that makes it. Request ids
  // come from the approval service when there is a request; changes run at once use newId.
  const id = request.id ?? (asksApproval ? newRequestId() : deps.newId());
  const previewed = named.tenant
    ? {
        spec: request.spec,
        ...(await previewTenantChange(
          deps,
          target,
          named.tenant,
          request.spec,
          config.TenantConfig?.ParameterDefinitions ?? [],
        )),
      }
    : await previewChange(deps, target, request.spec, config, id);
  if (request.staged) refuseUnstageable(target.alias, config, previewed);
  return submitPreviewed(deps, request, {
    target,
    asksApproval,
    ...(breakGlass ? { breakGlass } : {}),
    id,
    previewed: { ...previewed, ...(iac ? { iac } : {}) },
  });
}

/**
 * One staged change at a time per distribution, and nothing written to its primary meanwhile: a
 * promotion puts the staging copy's whole config on the primary, so a change made beside it would
 * be lost (the promotion would refuse, and pull the staged one back).
 */
async function refuseBesideStaged(
  deps: ChangeDeps,
  target: { alias: string; id: string },
  request: ChangeRequest,
): Promise<void> {
  const staged = (await deps.records.list("change")).find(
    (c) => c.distributionId === target.id && c.staged && (c.state === "writing" || c.state === "staged"),
  );
  if (!staged) return;
  throw new UserError(
    `Change ${staged.id} is staged on ${quote(target.alias)} (${staged.staged?.phase ?? "setting up"}): \`/cdn promote ${staged.id}\` or \`/cdn abort ${staged.id}\` first${request.staged ? "; one staged change at a time per distribution" : ", as a promotion puts the staging copy's whole config on the distribution"}. Nothing was sent.`,
  );
}

/** What CloudFront's continuous deployment cannot take, refused before anything is sent. */
function refuseUnstageable(alias: string, config: DistributionConfig, previewed: ChangePreview): void {
  const refuse = (why: string) => {
    throw new UserError(`I can't stage this change on ${quote(alias)}: ${why} Nothing was sent.`);
  };
  if (previewed.tenant) refuse("a tenant's settings are its own, and CloudFront stages whole distributions.");
  if (previewed.policy || previewed.policyCreate)
    refuse(
      "it changes a cache or response headers policy, which every distribution using it shares; a staging copy cannot hold it back.",
    );
  if (previewed.spec.kind === "web-acl")
    refuse("CloudFront does not stage a web ACL: attach or detach it without `--staged`.");
  if (previewed.logDelivery)
    refuse(
      "logging v2 deliveries live in CloudWatch Logs, beside the distribution: change them without `--staged`.",
    );
  if (config.Staging) refuse("it is a staging distribution itself.");
  if (config.ConnectionMode === "tenant-only")
    refuse("it is a multi-tenant distribution, and CloudFront's continuous deployment does not take those.");
  if (/3/.test(config.HttpVersion ?? ""))
    refuse(
      "it serves HTTP/3, and CloudFront's continuous deployment does not take distributions with HTTP/3.",
    );
}

/**
 * `/cdn kv <store> set|delete`: the keys as the store holds them now, before → after, under the
 * store's policy; written later with the store's ETag read just before (UpdateKeys).
 */
async function requestKeyValueChange(deps: ChangeDeps, request: ChangeRequest): Promise<string> {
  const store = keyValueStoreOrRefuse(deps.config, request.distribution);
  if (request.spec.kind !== "kv" && request.spec.kind !== "rollback")
    throw new UserError(
      `${quote(store.alias)} is a key-value store: change its keys with \`/cdn kv ${store.alias} set <key> <value>\` or \`delete <key>\`.`,
    );
  const policy = effectivePolicy(deps.config.policy, store.policy);
  await mayAsk(deps, policy, request, `change key-value store ${quote(store.alias)}`);
  const { asksApproval, breakGlass } = await approvalOrBreakGlass(deps, policy, request, store.alias);
  const id = request.id ?? (asksApproval ? newRequestId() : deps.newId());
  const diffs = await previewKeyValueChange(deps, store, request.spec);
  return submitPreviewed(deps, request, {
    target: { alias: store.alias, id: store.arn },
    asksApproval,
    ...(breakGlass ? { breakGlass } : {}),
    id,
    previewed: { spec: request.spec, diffs, keyValueStore: { arn: store.arn } },
  });
}

/**
 * Whether the change waits for approval. Break-glass runs one that would at once, for the people
 * the policy names (never a client); asked where no approval is needed, it is a plain change.
 */
async function approvalOrBreakGlass(
  deps: ChangeDeps,
  policy: EffectivePolicy,
  request: ChangeRequest,
  alias: string,
): Promise<{ asksApproval: boolean; breakGlass?: string }> {
  const asksApproval = needsApproval(policy, "change");
  if (!request.breakGlass || !asksApproval) return { asksApproval };
  const may = await mayBreakGlass(policy, request.actor.userId, deps.membersOf);
  if (!may.allowed)
    throw new UserError(
      `You may not break glass on ${quote(alias)}: ${may.reason}. Ask without \`--break-glass\` and it waits for approval. Nothing was sent.`,
    );
  return { asksApproval: false, breakGlass: request.breakGlass };
}

/**
 * A previewed change from here on, whatever it writes: refused if it changes nothing; else put to
 * approval, or stored, given its thread and written.
 */
async function submitPreviewed(
  deps: ChangeDeps,
  request: ChangeRequest,
  {
    target,
    asksApproval,
    breakGlass,
    id,
    previewed,
  }: {
    target: { alias: string; id: string };
    asksApproval: boolean;
    /** Run at once though approval was wanted: the reason, and a review opened with the change. */
    breakGlass?: string;
    id: string;
    previewed: ChangePreview;
  },
): Promise<string> {
  const { spec, diffs, tenant, iac, ...onPolicy } = previewed;
  const staged = request.staged;
  // What the change carries beside its writes: who owns the distribution, and why it is asked.
  const reason = request.reason ?? request.breakGlass;
  const context = { ...(iac ? { iac } : {}), ...(reason ? { reason } : {}) };

  if (diffs.length === 0)
    throw new UserError(changeNothingMessage(tenant ? `${target.alias}/${tenant.name}` : target.alias));
  const summary = describeSpec(spec, diffs);

  if (asksApproval) {
    const approval = await openApprovalRequest(deps.approvals, {
      action: "change",
      alias: target.alias,
      distributionId: target.id,
      actor: request.actor,
      channelId: request.channelId,
      payload: {
        kind: "change",
        spec: spec,
        diffs,
        summary,
        ...onPolicy,
        ...(staged ? { staged } : {}),
        ...context,
      },
      summary: `Change: ${summary}${staged ? ` (staged first: ${shareOf({ traffic: staged })})` : ""}`,
      id,
      ...(request.origin ? { origin: request.origin } : {}),
      ...(tenant ? { tenant } : {}),
    });
    return `Change ${approval.id} waits for approval in the channel.`;
  }
  const op = {
    ...newChangeOperation(
      id,
      target,
      spec,
      diffs,
      summary,
      request.actor,
      request.channelId,
      deps.clock(),
      undefined,
      request.origin,
    ),
    ...onPolicy,
    ...(tenant ? { tenant } : {}),
    ...(staged ? { staged: { traffic: staged } } : {}),
    ...context,
    ...(breakGlass ? { breakGlass: { reason: breakGlass } } : {}),
  };
  // Break-glass: the change, its review and the audit entry that marks it land together.
  const review = breakGlass ? newReview(op, breakGlass, deps.clock()) : undefined;
  await deps.records.commit(
    {
      writes: [
        { kind: "change", op: "create", record: op },
        ...(review ? [{ kind: "review" as const, op: "create" as const, record: review }] : []),
      ],
      ...(breakGlass ? { audit: [breakGlassAudit(op, breakGlass)] } : {}),
    },
    deps.clock(),
  );
  let messageTs: string;
  try {
    messageTs = await deps.announcer.postParent(op);
  } catch (error) {
    // No thread, no change: withdraw the intent, or the scheduler would write it unannounced.
    await deps.records.commit(
      {
        writes: [
          { kind: "change", op: "delete", id: op.id, expectedVersion: op.version },
          ...(review
            ? [
                {
                  kind: "review" as const,
                  op: "delete" as const,
                  id: review.id,
                  expectedVersion: review.version,
                },
              ]
            : []),
        ],
        ...(breakGlass
          ? {
              audit: [
                {
                  type: "change.withdrawn",
                  actor: op.requestedBy,
                  channelId: op.channelId,
                  distributionId: op.distributionId,
                  requestId: op.id,
                  summary: "The break-glass change could not be posted in the channel; nothing was sent",
                  outcome: "error" as const,
                },
              ],
            }
          : {}),
      },
      deps.clock(),
    );
    throw error instanceof NotInChannelError ? error.because("Nothing was sent to AWS.") : error;
  }
  await applyEvent(deps, op.id, { type: "posted", messageTs });
  // The approvers are told at once; a post that fails is made by the approvals job's next pass.
  if (review)
    await postReview(deps.approvals, review).catch((error: unknown) =>
      deps.logger.warn("A break-glass review could not be posted yet", { reviewId: review.id, error }),
    );
  await runChange(deps, op.id);
  if (breakGlass)
    return `Change ${op.id} is being written now, without approval (break-glass). The approvers are told, and one of them must review it.`;
  return staged
    ? `Change ${op.id} is being staged: written to a staging copy of ${target.alias} that gets ${shareOf({ traffic: staged })}.`
    : `Change ${op.id} is being written.`;
}

function newChangeOperation(
  id: string,
  target: { alias: string; id: string },
  spec: ChangeSpec,
  diffs: FieldDiff[],
  summary: string,
  actor: Actor,
  channelId: string,
  now: number,
  messageTs?: string,
  origin?: Origin,
): ChangeOperation {
  return {
    version: 0,
    id,
    alias: target.alias,
    distributionId: target.id,
    spec,
    diffs,
    summary,
    requestedBy: actor,
    channelId,
    state: "writing",
    requestedAt: now,
    told: [],
    announced: { written: false, final: false },
    ...(messageTs ? { messageTs } : {}),
    ...(origin ? { origin } : {}),
  };
}

/** Runs an approved change in the request's own message, which becomes its progress thread. */
export async function startApprovedChange(deps: ChangeDeps, request: ApprovalRequest): Promise<void> {
  const payload = request.payload;
  if (payload.kind !== "change") throw new Error(`request ${request.id} is not a change`);
  // Already started (an approval handed over twice), or finished and archived: never write twice.
  if (await deps.records.get("change", request.id)) return;
  const op = {
    ...newChangeOperation(
      request.id,
      { alias: request.alias, id: request.distributionId },
      payload.spec,
      payload.diffs,
      payload.summary,
      request.requestedBy,
      request.channelId,
      deps.clock(),
      // The request's message becomes the change's thread.
      (await deps.records.get("approval", request.id))?.messageTs ?? request.messageTs,
      request.origin,
    ),
    ...(payload.policy ? { policy: payload.policy } : {}),
    ...(payload.policyCopy ? { policyCopy: payload.policyCopy } : {}),
    ...(payload.policyCreate ? { policyCreate: payload.policyCreate } : {}),
    ...(payload.keyValueStore ? { keyValueStore: payload.keyValueStore } : {}),
    ...(payload.logDelivery ? { logDelivery: true as const } : {}),
    ...(payload.staged ? { staged: { traffic: payload.staged } } : {}),
    ...(payload.iac ? { iac: payload.iac } : {}),
    ...(payload.reason ? { reason: payload.reason } : {}),
    ...(request.approvals.length > 0 ? { approvedBy: request.approvals } : {}),
    // A tenant's change writes the tenant, whose id was read for the preview.
    ...(request.tenant?.id ? { tenant: { name: request.tenant.name, id: request.tenant.id } } : {}),
  };
  try {
    await deps.records.commit({ writes: [{ kind: "change", op: "create", record: op }] }, deps.clock());
  } catch (error) {
    if (error instanceof ConflictError) return; // another hand-over created it first: that one runs
    throw error;
  }
  await deps.activity?.publish({
    kind: "change",
    stage: "approved",
    distributionId: request.distributionId,
    alias: request.alias,
    actorUserId: request.requestedBy.userId,
    channelId: request.channelId,
    ...(request.messageTs ? { messageTs: request.messageTs } : {}),
    summary: `change ${request.id} approved: ${payload.summary}`,
  });
  await runChange(deps, request.id);
}

/** `/cdn rollback`: the inverse of an earlier change, through the same preview, approval and write. */
export async function requestRollback(
  deps: ChangeDeps,
  changeId: string,
  actor: Actor,
  channelId: string,
  because: Pick<ChangeRequest, "reason"> = {},
): Promise<string> {
  const original =
    (await deps.records.get("change", changeId.toUpperCase())) ??
    (await deps.records.get("change", changeId));
  if (!original)
    throw new UserError(
      `There is no change \`${changeId.slice(0, 40)}\` (finished changes are kept ${describeRetention(deps.config)}; the audit log keeps their trail). Change ids are in each change's message.`,
    );
  if (original.policyCreate)
    throw new UserError(
      `Change ${original.id} created response headers policy ${original.policyCreate.name}; there is nothing to roll back. Take it off a behaviour with \`/cdn headers <distribution> <behaviour> none\`.`,
    );
  if (original.state === "failed" || original.state === "writing") {
    throw new UserError(
      `Change ${original.id} was never written (it is ${original.state}), so there is nothing to roll back.`,
    );
  }
  return requestChange(deps, {
    distribution:
      original.tenant || original.keyValueStore
        ? `${original.alias}${original.tenant ? `/${original.tenant.name}` : ""}`
        : original.distributionId,
    spec: { kind: "rollback", of: original.id, writes: inverseWrites(original.diffs) },
    actor,
    channelId,
    ...because,
  });
}

function describeRetention(config: CdnbotConfig): string {
  const days = Math.round(config.retention.finished / 86_400_000);
  return days >= 1 ? `for ${plural(days, "day")}` : "for less than a day";
}
