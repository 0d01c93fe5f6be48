import { type ApprovalDeps, newRequestId, openApprovalRequest } from "../approvals/approval-service.js";
import { authorizeRequest } from "../approvals/authorize-request.js";
import { type GroupLookup, needsApproval } from "../approvals/policy.js";
import { describeAwsError } from "../aws/aws-errors.js";
import type {
  CachePolicyConfig,
  CloudFrontGateway,
  DistributionConfig,
  ResponseHeadersPolicyConfig,
} from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import { NotInChannelError, UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import type {
  CachePolicyCopy,
  CachePolicyTarget,
  ChangeSpec,
  FieldDiff,
  FieldWrite,
  HeadersPolicyCreate,
} from "../store/change-spec.js";
import { ConflictError, type RecordStore } from "../store/record-store.js";
import type { Actor, ApprovalRequest, ChangeOperation, Origin } from "../store/records.js";
import { commitTransition } from "../store/retry-on-conflict.js";
import { plural, quote } from "../text/plain-text.js";
import type { CallPacer } from "../tracking/call-pacer.js";
import { nextStatusAt, paceOf, type StatusPace, wakeForEarliest } from "../tracking/status-pacing.js";
import { type Owns, ownedAmong } from "../tracking/work-leases.js";
import type { ActivityFeed } from "../watch/activity-feed.js";
import {
  behaviorsUsing,
  cachePolicyOf,
  checkPolicyTtls,
  labelPolicyDiffs,
  planPolicyCopy,
  policyCopyConfig,
  refuseManaged,
} from "./cache-policy-change.js";
import type { ChangeAnnouncer } from "./change-announcer.js";
import { type ChangeEvent, changeTransition } from "./change-machine.js";
import { describePath, readField } from "./config-fields.js";
import { changeNothingMessage, diffLines, formatFieldValue } from "./describe-change.js";
import {
  alreadyApplied,
  applyWrites,
  compileChange,
  diffWrites,
  driftSince,
  inverseWrites,
  logBucketName,
} from "./plan-change.js";
import {
  compileHeadersPolicyChange,
  findHeadersPolicy,
  planHeadersPolicyCreate,
  resolveHeadersSpec,
} from "./response-headers.js";

export type ChangeDeps = {
  config: CdnbotConfig;
  records: RecordStore;
  cloudfront: CloudFrontGateway;
  announcer: ChangeAnnouncer;
  approvals: ApprovalDeps;
  membersOf: GroupLookup;
  clock: () => number;
  logger: Logger;
  newId: () => string;
  /** The base interval for following deploys; polls space out as a deploy ages. */
  pollMs: number;
  /** How often a deploy's distribution is asked about it, and what its deploys took before. */
  pace?: StatusPace;
  /**
   * UpdateDistribution's pace per distribution (CloudFront throttles it after a few a minute):
   * a change whose turn has not come waits, written, and its thread told, when it has.
   */
  writePacer?: CallPacer;
  activity?: ActivityFeed;
  /**
   * Of several replicas, the one holding a distribution's change lease writes and follows its
   * changes (`tracking/work-leases.ts`); without it, this process does all of it.
   */
  owns?: Owns;
};

/** The lease a distribution's changes are written and followed under. */
export const changeWorkOf = (distributionId: string) => `changes:${distributionId}`;

export type ChangeRequest = {
  distribution: string;
  spec: ChangeSpec;
  actor: Actor;
  channelId: string;
  /** The change's id (an API request's); otherwise a new one. */
  id?: string;
  origin?: Origin;
};

async function readConfig(
  deps: ChangeDeps,
  id: string,
): Promise<{ config: DistributionConfig; etag: string }> {
  try {
    return await deps.cloudfront.getDistributionConfig(id);
  } catch (error) {
    throw new UserError(`I could not read the config of ${id}: ${describeAwsError(error).explanation}`);
  }
}

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
 * Previews a change against the live config and asks for approval (or, where the policy needs none,
 * runs it). A change that changes nothing, or cannot apply, is refused before anything is sent.
 */
/** A web ACL goes in front of a distribution only if the config lists it (and grants reading it). */
function checkWebAcl(config: CdnbotConfig, spec: ChangeSpec): void {
  if (spec.kind !== "web-acl" || spec.webAclArn === null) return;
  const allowed = config.waf?.webAcls ?? [];
  if (!allowed.includes(spec.webAclArn))
    throw new UserError(
      `I attach only the web ACLs the config lists under \`waf.webAcls\` (${allowed.length ? allowed.map(quote).join(", ") : "none yet"}); ${quote(spec.webAclArn.slice(0, 200))} is not one. Nothing was sent.`,
    );
}

export async function requestChange(deps: ChangeDeps, request: ChangeRequest): Promise<string> {
  const { target, policy } = await authorizeRequest(deps, request, "change");
  checkLogBucket(deps.config, request.spec);
  checkWebAcl(deps.config, request.spec);

  const { config } = await readConfig(deps, target.id);
  const asksApproval = needsApproval(policy, "change");
  // Its id first: a copy of a managed policy is named after the change that makes it. Request ids
  // come from the approval service when there is a request; changes run at once use newId.
  const id = request.id ?? (asksApproval ? newRequestId() : deps.newId());
  const { spec, diffs, ...onPolicy } = await previewChange(deps, target, request.spec, config, id);
  if (diffs.length === 0) throw new UserError(changeNothingMessage(target.alias));
  const summary = describeSpec(spec, diffs);

  if (asksApproval) {
    const approval = await openApprovalRequest(deps.approvals, {
      action: "change",
      alias: target.alias,
      distributionId: target.id,
      actor: request.actor,
      channelId: request.channelId,
      payload: { kind: "change", spec: spec, diffs, summary, ...onPolicy },
      summary: `Change: ${summary}`,
      id,
      ...(request.origin ? { origin: request.origin } : {}),
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
  };
  await deps.records.commit({ writes: [{ kind: "change", op: "create", record: op }] }, deps.clock());
  let messageTs: string;
  try {
    messageTs = await deps.announcer.postParent(op);
  } catch (error) {
    // No thread, no change: withdraw the intent, or the scheduler would write it unannounced.
    await deps.records.commit(
      { writes: [{ kind: "change", op: "delete", id: op.id, expectedVersion: op.version }] },
      deps.clock(),
    );
    throw error instanceof NotInChannelError ? error.because("Nothing was sent to AWS.") : error;
  }
  await applyEvent(deps, op.id, { type: "posted", messageTs });
  await runChange(deps, op.id);
  return `Change ${op.id} is being written.`;
}

/** A change previewed: the spec as stored (names resolved to ids), before → after, and where it writes. */
type ChangePreview = {
  spec: ChangeSpec;
  diffs: FieldDiff[];
  policy?: CachePolicyTarget;
  policyCopy?: CachePolicyCopy;
  policyCreate?: HeadersPolicyCreate;
};

/**
 * Reads what the change touches and says what it would do, wherever its fields live: the
 * distribution, a cache policy (or a copy of a managed one), a response headers policy (changed or
 * made). Nothing is written.
 */
async function previewChange(
  deps: ChangeDeps,
  target: { alias: string; id: string },
  asked: ChangeSpec,
  config: DistributionConfig,
  changeId: string,
): Promise<ChangePreview> {
  // A response headers policy may be named by its name: the change stores its id.
  const { spec, policyName } = await resolveHeadersSpec(deps, target.id, asked);
  if (spec.kind === "headers-policy") return previewHeadersPolicyUpdate(deps, target, spec, config);
  if (spec.kind === "headers-policy-create") return previewHeadersPolicyCreate(deps, target, spec);
  const headersPolicyId =
    spec.kind === "rollback" ? /^headersPolicy\[(.+?)\]\./.exec(spec.writes[0]?.path ?? "")?.[1] : undefined;
  if (spec.kind === "rollback" && headersPolicyId) {
    // The rollback of a response headers policy's change goes back to that policy.
    const { diffs, policyTarget } = await previewHeadersPolicyWrites(
      deps,
      target,
      headersPolicyId,
      config,
      () => spec.writes,
    );
    return { spec, diffs, policy: policyTarget };
  }
  const writes = compileChange(spec, config);
  const policyId = cachePolicyOf(writes);
  if (policyId)
    return {
      spec,
      ...(await previewPolicyChange(deps, { target, spec, writes, policyId, config, changeId })),
    };
  const diffs = diffWrites(config, writes).map((d) =>
    policyName ? { ...d, label: `${d.label}, to ${policyName}` } : d,
  );
  return { spec, diffs };
}

/** The account's response headers policies, or why they could not be read. */
async function headersPolicies(deps: ChangeDeps, likeDistributionId: string) {
  try {
    return await deps.cloudfront.listResponseHeadersPolicies(likeDistributionId);
  } catch (error) {
    throw new UserError(
      `I could not list the response headers policies: ${describeAwsError(error).explanation}`,
    );
  }
}

/**
 * `/cdn headers-policy`: a change to a custom response headers policy, previewed against the policy
 * with its blast radius, then asked for and written like any change (to the policy, with its ETag).
 */
async function previewHeadersPolicyUpdate(
  deps: ChangeDeps,
  target: { alias: string; id: string },
  spec: Extract<ChangeSpec, { kind: "headers-policy" }>,
  config: DistributionConfig,
): Promise<ChangePreview> {
  const named = findHeadersPolicy(await headersPolicies(deps, target.id), spec.policy);
  if (named.managed)
    throw new UserError(
      `${quote(named.name)} is managed by AWS and cannot change. Attach a custom policy with the headers you want (\`/cdn headers ${target.alias} <policy>\`).`,
    );
  const resolved = { ...spec, policy: named.id };
  const { diffs, policyTarget } = await previewHeadersPolicyWrites(
    deps,
    target,
    named.id,
    config,
    (policyConfig) => compileHeadersPolicyChange(resolved, named.id, policyConfig),
  );
  return { spec: resolved, diffs, policy: policyTarget };
}

/** `/cdn headers-policy … create`: a new policy of a free name, its headers shown as they will be. */
async function previewHeadersPolicyCreate(
  deps: ChangeDeps,
  target: { alias: string; id: string },
  spec: Extract<ChangeSpec, { kind: "headers-policy-create" }>,
): Promise<ChangePreview> {
  const taken = (await headersPolicies(deps, target.id)).some(
    (p) => p.name.toLowerCase() === spec.name.toLowerCase(),
  );
  if (taken)
    throw new UserError(
      `There is already a response headers policy ${quote(spec.name)}: change it with \`/cdn headers-policy ${target.alias} ${spec.name} …\`.`,
    );
  const plan = planHeadersPolicyCreate(spec);
  const diffs = diffWrites({ Name: spec.name }, plan.writes).map((d) => ({
    ...d,
    label: d.label.replace(/^response headers policy .+? · /, `new response headers policy ${spec.name} · `),
  }));
  return {
    spec,
    diffs,
    policyCreate: { name: spec.name, config: plan.config as unknown as Record<string, unknown> },
  };
}

/**
 * A response headers policy's writes previewed: read the policy (for its values, name and ETag-free
 * view), before → after, and its blast radius (`ListDistributionsByResponseHeadersPolicyId`).
 */
async function previewHeadersPolicyWrites(
  deps: ChangeDeps,
  target: { alias: string; id: string },
  policyId: string,
  config: DistributionConfig,
  compile: (policy: ResponseHeadersPolicyConfig) => FieldWrite[],
): Promise<{ diffs: FieldDiff[]; policyTarget: CachePolicyTarget }> {
  let policyConfig: ResponseHeadersPolicyConfig;
  let distributionIds: string[];
  try {
    [{ config: policyConfig }, distributionIds] = await Promise.all([
      deps.cloudfront.getResponseHeadersPolicyConfig(policyId, target.id),
      deps.cloudfront.listDistributionsByResponseHeadersPolicy(policyId, target.id),
    ]);
  } catch (error) {
    throw new UserError(
      `I could not read response headers policy ${policyId}: ${describeAwsError(error).explanation}`,
    );
  }
  const name = policyConfig.Name ?? policyId;
  const diffs = labelPolicyDiffs(diffWrites(policyConfig, compile(policyConfig)), policyId, name);
  if (diffs.length === 0)
    throw new UserError(
      `This changes nothing: ${quote(name)} already sends these headers. Nothing was sent.`,
    );
  const usedBy = await usersOf(deps, target, config, distributionIds, (theirs) =>
    behaviorsUsing(theirs, policyId, "ResponseHeadersPolicyId"),
  );
  return { diffs, policyTarget: { kind: "response-headers", id: policyId, name, usedBy, distributionIds } };
}

/**
 * The preview of a change whose fields live in a cache policy: the policy's values before → after,
 * checked against the policy as it is, and its blast radius: the bot's distributions and behaviours
 * that use it, and every distribution of the account that does (`ListDistributionsByCachePolicyId`).
 */
async function previewPolicyChange(
  deps: ChangeDeps,
  asked: {
    target: { alias: string; id: string };
    spec: ChangeSpec;
    writes: FieldWrite[];
    policyId: string;
    config: DistributionConfig;
    changeId: string;
  },
): Promise<{ diffs: FieldDiff[]; policy?: CachePolicyTarget; policyCopy?: CachePolicyCopy }> {
  const { target, spec, writes, policyId, config } = asked;
  let policyConfig: CachePolicyConfig;
  let managed: string[];
  try {
    [{ config: policyConfig }, managed] = await Promise.all([
      deps.cloudfront.getCachePolicyConfig(policyId, target.id),
      deps.cloudfront.listManagedCachePolicyIds(target.id),
    ]);
  } catch (error) {
    throw new UserError(`I could not read cache policy ${policyId}: ${describeAwsError(error).explanation}`);
  }
  const name = policyConfig.Name ?? policyId;
  checkPolicyTtls(policyConfig, spec);
  const ttlDiffs = labelPolicyDiffs(diffWrites(policyConfig, writes), policyId, name);
  if (managed.includes(policyId)) {
    // AWS's own policy cannot change: this behaviour gets a custom copy with the new TTLs instead.
    if (spec.kind !== "ttl")
      refuseManaged(name, behaviorsUsing(config, policyId)[0] ?? "default", target.alias);
    if (ttlDiffs.length === 0) return { diffs: [] };
    const copy = planPolicyCopy(policyConfig, { id: policyId, name }, spec.behavior, writes, asked.changeId);
    return {
      diffs: [
        {
          path: `behavior[${spec.behavior === "*" ? "default" : spec.behavior}].CachePolicyId`,
          label: describePath(`behavior[${spec.behavior === "*" ? "default" : spec.behavior}].CachePolicyId`),
          before: policyId,
          after: copy.name,
        },
      ],
      policyCopy: { ...copy, ttlDiffs },
    };
  }
  let distributionIds: string[];
  try {
    distributionIds = await deps.cloudfront.listDistributionsByCachePolicy(policyId, target.id);
  } catch (error) {
    throw new UserError(
      `I could not read who uses cache policy ${name}: ${describeAwsError(error).explanation}`,
    );
  }
  const usedBy = await usersOf(deps, target, config, distributionIds, (theirs) =>
    behaviorsUsing(theirs, policyId),
  );
  return { diffs: ttlDiffs, policy: { kind: "cache", id: policyId, name, usedBy, distributionIds } };
}

/**
 * A policy's blast radius among the bot's own distributions: each one using it, with the behaviours
 * that do (the target's config is the one already read; the others are read now).
 */
async function usersOf(
  deps: ChangeDeps,
  target: { id: string },
  config: DistributionConfig,
  distributionIds: string[],
  behaviors: (config: DistributionConfig) => string[],
): Promise<CachePolicyTarget["usedBy"]> {
  const usedBy: CachePolicyTarget["usedBy"] = [];
  for (const [alias, d] of Object.entries(deps.config.distributions)) {
    if (!distributionIds.includes(d.id)) continue;
    const theirs = d.id === target.id ? config : (await readConfig(deps, d.id)).config;
    usedBy.push({ alias, distributionId: d.id, behaviors: behaviors(theirs) });
  }
  return usedBy;
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

/**
 * Runs one event through the change machine: reads the change, stores the next state conditional
 * on the version read (reading again if another writer moved it), then carries out the effects.
 */
async function applyEvent(
  deps: ChangeDeps,
  id: string,
  event: ChangeEvent | ((change: ChangeOperation) => ChangeEvent),
): Promise<ChangeOperation | undefined> {
  const done = await commitTransition(deps.records, "change", id, deps.clock, (current) => {
    const step = changeTransition(
      current,
      typeof event === "function" ? event(current) : event,
      deps.clock(),
    );
    return step && { record: step.change, audit: step.audit, effects: step.effects };
  });
  if (!done) return undefined;
  for (const effect of done.effects) {
    if (effect.type === "reply-written") await quietly(deps, () => deps.announcer.replyWritten(done.record));
    else if (effect.type === "reply-note")
      await quietly(deps, () => deps.announcer.replyNote(done.record, effect.note));
    else if (effect.type === "refresh-parent")
      await quietly(deps, () => deps.announcer.refreshParent(done.record));
    else await finish(deps, done.record);
  }
  return done.record;
}

// Two changes to one distribution are written one after the other, never interleaved.
const locks = new Map<string, Promise<unknown>>();

function withDistributionLock<T>(distributionId: string, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(distributionId) ?? Promise.resolve();
  const run = previous.then(work, work);
  locks.set(
    distributionId,
    run.catch(() => undefined),
  );
  return run;
}

/**
 * Writes a change now, unless another replica holds its distribution's lease: that one writes it at
 * its next pass (within a poll interval), so two replicas never race one distribution's ETag.
 */
export async function runChange(deps: ChangeDeps, id: string): Promise<void> {
  const op = await deps.records.get("change", id);
  if (!op) return;
  if (!(await ownedAmong([op.distributionId], changeWorkOf, deps.owns)).size) return;
  return withDistributionLock(op.distributionId, () => writeChange(deps, id));
}

/**
 * The safe write: the config and its ETag are read immediately before the PUT, the typed change is
 * applied to that fresh config, and the PUT carries the ETag as If-Match. If CloudFront says the
 * ETag went stale, read again and re-apply once, provided the fields this change touches are still
 * as previewed; if someone else changed them, stop and say what differs.
 */
async function writeChange(deps: ChangeDeps, id: string): Promise<void> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    const op = await deps.records.get("change", id);
    if (op?.state !== "writing") return;
    if (op.policy) return writePolicyChange(deps, op, op.policy);
    if (op.policyCopy) return writeWithPolicyCopy(deps, op, op.policyCopy);
    if (op.policyCreate) return writeHeadersPolicyCreate(deps, op, op.policyCreate);
    if (!(await takeWriteTurn(deps, op))) return;
    let fresh: { config: DistributionConfig; etag: string };
    try {
      fresh = await deps.cloudfront.getDistributionConfig(op.distributionId);
    } catch (error) {
      await failOrWait(deps, op, error);
      return;
    }
    if (alreadyApplied(fresh.config, op.diffs)) {
      // The change's own fields say it is written. If this bot had started the write, it reached
      // AWS before a crash: that is the write, reported once like any other. If not, someone else
      // made the very same change, and the thread says so.
      await applyEvent(deps, id, {
        type: "written",
        proof:
          op.writeStartedAt !== undefined ? { kind: "confirmed-after-restart" } : { kind: "already-had" },
      });
      return;
    }
    const drift = driftSince(fresh.config, op.diffs);
    if (drift.length > 0) {
      const what = drift
        .map(
          (d) =>
            `${d.label} was ${formatFieldValue(d.previewed)} in the preview and is ${formatFieldValue(d.now)} now`,
        )
        .join("; ");
      await applyEvent(deps, id, {
        type: "failed",
        error: `Someone else changed the same settings since the preview (${what}). Nothing was written; ask again to change it from the current settings.`,
      });
      return;
    }
    let next: DistributionConfig;
    try {
      next = applyWrites(fresh.config, compileChange(op.spec, fresh.config));
    } catch (error) {
      await applyEvent(deps, id, {
        type: "failed",
        error: error instanceof UserError ? error.message : String(error),
      });
      return;
    }
    try {
      // The intent first: a crash from here on may or may not have reached AWS, and the change's
      // own fields will tell which when the write is resumed.
      await applyEvent(deps, id, { type: "write-started" });
      const out = await deps.cloudfront.updateDistribution(op.distributionId, next, fresh.etag);
      deps.writePacer?.succeeded(op.distributionId, deps.clock());
      await applyEvent(deps, id, {
        type: "written",
        proof: { kind: "answered", ...(out.requestId ? { awsRequestId: out.requestId } : {}) },
      });
      return;
    } catch (error) {
      slowDownIfThrottled(deps, op, error);
      if ((await afterRefusedWrite(deps, op, error, attempt, "The distribution")) === "read-again") continue;
      return;
    }
  }
}

/**
 * The same safe write, to a cache policy: its config and ETag read immediately before the PUT, the
 * previewed values written onto that fresh config with the ETag as If-Match; a stale ETag is read
 * again once, provided nobody changed the same fields; a policy changed by someone else stops it.
 */
async function writePolicyChange(deps: ChangeDeps, first: ChangeOperation, policy: CachePolicyTarget) {
  const writes = first.diffs.map((d) => ({ path: d.path, value: d.after }));
  for (let attempt = 1; attempt <= 2; attempt++) {
    const op = await deps.records.get("change", first.id);
    if (op?.state !== "writing") return;
    let fresh: { config: CachePolicyConfig | ResponseHeadersPolicyConfig; etag: string };
    try {
      fresh =
        policy.kind === "response-headers"
          ? await deps.cloudfront.getResponseHeadersPolicyConfig(policy.id, op.distributionId)
          : await deps.cloudfront.getCachePolicyConfig(policy.id, op.distributionId);
    } catch (error) {
      await failOrWait(deps, op, error);
      return;
    }
    if (alreadyApplied(fresh.config, op.diffs)) {
      await applyEvent(deps, op.id, {
        type: "written",
        proof:
          op.writeStartedAt !== undefined ? { kind: "confirmed-after-restart" } : { kind: "already-had" },
      });
      return;
    }
    const drift = driftSince(fresh.config, op.diffs);
    if (drift.length > 0) {
      const what = drift
        .map(
          (d) =>
            `${d.label} was ${formatFieldValue(d.previewed)} in the preview and is ${formatFieldValue(d.now)} now`,
        )
        .join("; ");
      await applyEvent(deps, op.id, {
        type: "failed",
        error: `Someone else changed ${policy.kind === "response-headers" ? "response headers" : "cache"} policy ${policy.name} since the preview (${what}). Nothing was written; ask again to change it from the current settings.`,
      });
      return;
    }
    try {
      await applyEvent(deps, op.id, { type: "write-started" });
      const out =
        policy.kind === "response-headers"
          ? await deps.cloudfront.updateResponseHeadersPolicy(
              policy.id,
              applyWrites(fresh.config as ResponseHeadersPolicyConfig, writes),
              fresh.etag,
              op.distributionId,
            )
          : await deps.cloudfront.updateCachePolicy(
              policy.id,
              applyWrites(fresh.config as CachePolicyConfig, writes),
              fresh.etag,
              op.distributionId,
            );
      await applyEvent(deps, op.id, {
        type: "written",
        proof: { kind: "answered", ...(out.requestId ? { awsRequestId: out.requestId } : {}) },
      });
      return;
    } catch (error) {
      if ((await afterRefusedWrite(deps, op, error, attempt, `Policy ${policy.name}`)) === "read-again")
        continue;
      return;
    }
  }
}

/**
 * A TTL change on a managed policy: the copy is made first (or found, by its name, when a retry or a
 * restart made it already), then the behaviour is pointed at it with the distribution's ETag read
 * just before. Someone pointing the behaviour elsewhere meanwhile stops it.
 */
async function writeWithPolicyCopy(deps: ChangeDeps, first: ChangeOperation, copy: CachePolicyCopy) {
  const path = `behavior[${copy.behavior}].CachePolicyId`;
  let copyId: string;
  try {
    copyId = await ensurePolicyCopy(deps, first, copy);
  } catch (error) {
    await failOrWait(deps, first, error);
    return;
  }
  for (let attempt = 1; attempt <= 2; attempt++) {
    const op = await deps.records.get("change", first.id);
    if (op?.state !== "writing") return;
    if (!(await takeWriteTurn(deps, op))) return;
    let fresh: { config: DistributionConfig; etag: string };
    try {
      fresh = await deps.cloudfront.getDistributionConfig(op.distributionId);
    } catch (error) {
      await failOrWait(deps, op, error);
      return;
    }
    const now = readField(fresh.config, path);
    if (now === copyId) {
      await applyEvent(deps, op.id, {
        type: "written",
        proof:
          op.writeStartedAt !== undefined ? { kind: "confirmed-after-restart" } : { kind: "already-had" },
      });
      return;
    }
    if (now !== copy.fromId) {
      await applyEvent(deps, op.id, {
        type: "failed",
        error: `Someone else changed the cache policy of ${copy.behavior === "default" ? "the default behaviour" : `behaviour ${copy.behavior}`} since the preview (it was ${copy.fromName}, it is ${formatFieldValue(now)} now). The copy ${copy.name} was made but not used; ask again to change it from the current settings.`,
      });
      return;
    }
    try {
      await applyEvent(deps, op.id, { type: "write-started" });
      const out = await deps.cloudfront.updateDistribution(
        op.distributionId,
        applyWrites(fresh.config, [{ path, value: copyId }]),
        fresh.etag,
      );
      deps.writePacer?.succeeded(op.distributionId, deps.clock());
      await applyEvent(deps, op.id, {
        type: "written",
        proof: { kind: "answered", ...(out.requestId ? { awsRequestId: out.requestId } : {}) },
      });
      return;
    } catch (error) {
      slowDownIfThrottled(deps, op, error);
      if ((await afterRefusedWrite(deps, op, error, attempt, "The distribution")) === "read-again") continue;
      return;
    }
  }
}

/**
 * Creates the response headers policy, once: a policy of its name already there (a retry, or a create
 * that reached AWS before a crash) is the one this change made only if this bot had started the
 * create; otherwise someone else took the name first and the change fails, saying so.
 */
async function writeHeadersPolicyCreate(deps: ChangeDeps, op: ChangeOperation, create: HeadersPolicyCreate) {
  try {
    const existing = (await deps.cloudfront.listResponseHeadersPolicies(op.distributionId)).find(
      (p) => p.name === create.name,
    );
    if (existing) {
      if (op.writeStartedAt !== undefined)
        await applyEvent(deps, op.id, { type: "written", proof: { kind: "confirmed-after-restart" } });
      else
        await applyEvent(deps, op.id, {
          type: "failed",
          error: `Someone made a response headers policy named ${create.name} since the preview. Nothing was created; choose another name.`,
        });
      return;
    }
    await applyEvent(deps, op.id, { type: "write-started" });
    const out = await deps.cloudfront.createResponseHeadersPolicy(
      create.config as unknown as ResponseHeadersPolicyConfig,
      op.distributionId,
    );
    await applyEvent(deps, op.id, {
      type: "written",
      proof: { kind: "answered", ...(out.requestId ? { awsRequestId: out.requestId } : {}) },
    });
  } catch (error) {
    await failOrWait(deps, op, error);
  }
}

/** The copy's id: found by its name if it was made already, else made now (and audited). */
async function ensurePolicyCopy(
  deps: ChangeDeps,
  op: ChangeOperation,
  copy: CachePolicyCopy,
): Promise<string> {
  const existing = await deps.cloudfront.findCustomCachePolicy(copy.name, op.distributionId);
  if (existing) return existing;
  const { config: managed } = await deps.cloudfront.getCachePolicyConfig(copy.fromId, op.distributionId);
  let made: { id: string; requestId?: string };
  try {
    made = await deps.cloudfront.createCachePolicy(policyCopyConfig(managed, copy, op.id), op.distributionId);
  } catch (error) {
    // Its name is the change's: a create that raced this one, or reached AWS before a crash, made it.
    const again =
      describeAwsError(error).code === "CachePolicyAlreadyExists"
        ? await deps.cloudfront.findCustomCachePolicy(copy.name, op.distributionId)
        : undefined;
    if (again) return again;
    throw error;
  }
  await deps.records.commit(
    {
      writes: [],
      audit: [
        {
          type: "aws.CreateCachePolicy",
          actor: op.requestedBy,
          channelId: op.channelId,
          alias: op.alias,
          distributionId: op.distributionId,
          requestId: op.id,
          summary: `Change ${op.id}: cache policy ${copy.name} (${made.id}) created, a copy of ${copy.fromName} with TTLs ${copy.ttl.min}/${copy.ttl.default}/${copy.ttl.max}`,
          outcome: "ok",
          ...(made.requestId ? { awsRequestId: made.requestId } : {}),
        },
      ],
    },
    deps.clock(),
  );
  return made.id;
}

/**
 * After AWS refused a write: audited; a stale ETag is read again once (the caller loops), twice is
 * the end; anything else fails or waits for the next pass, as its kind says.
 */
async function afterRefusedWrite(
  deps: ChangeDeps,
  op: ChangeOperation,
  error: unknown,
  attempt: number,
  what: string,
): Promise<"read-again" | "done"> {
  const problem = describeAwsError(error);
  await applyEvent(deps, op.id, {
    type: "write-refused",
    awsCode: problem.code,
    ...(problem.requestId ? { awsRequestId: problem.requestId } : {}),
  });
  if (problem.code === "PreconditionFailed" && attempt < 2) return "read-again";
  if (problem.code === "PreconditionFailed")
    await applyEvent(deps, op.id, {
      type: "failed",
      error: `${what} kept changing while I wrote (its ETag went stale twice). Nothing was written; try again in a moment.`,
    });
  else await failOrWait(deps, op, error);
  return "done";
}

/**
 * Takes the distribution's next UpdateDistribution turn, or, when its pace is used up, asks to be
 * woken when the turn comes and tells the thread once how long it waits. Taken before the config is
 * read, so the ETag is always the one read just before the write, never one read before a wait.
 */
async function takeWriteTurn(deps: ChangeDeps, op: ChangeOperation): Promise<boolean> {
  const now = deps.clock();
  const wait = deps.writePacer?.tryTake(op.distributionId, now) ?? 0;
  if (wait === 0) return true;
  paceOf(deps).wakeAt?.(now + wait);
  await applyEvent(deps, op.id, {
    type: "transient",
    note: { code: "paced", seconds: Math.max(1, Math.ceil(wait / 1000)) },
  });
  return false;
}

/** CloudFront throttled a write anyway: the distribution's pace halves (AIMD), and the retry waits. */
function slowDownIfThrottled(deps: ChangeDeps, op: ChangeOperation, error: unknown): void {
  if (/Throttl|TooManyRequests/.test(describeAwsError(error).code))
    deps.writePacer?.throttled(op.distributionId, deps.clock());
}

async function failOrWait(deps: ChangeDeps, op: ChangeOperation, error: unknown): Promise<void> {
  const problem = describeAwsError(error);
  if (!problem.retryable) {
    await applyEvent(deps, op.id, { type: "failed", error: problem.explanation });
    return;
  }
  await applyEvent(deps, op.id, {
    type: "transient",
    note: { code: "retrying", awsCode: problem.code, explanation: problem.explanation },
  });
}

async function finish(deps: ChangeDeps, op: ChangeOperation) {
  if (op.announced.final) return;
  // Told once: a final reply that reached the thread before its flag was stored is not repeated.
  let there: boolean;
  try {
    there = await deps.announcer.findFinal(op);
  } catch (error) {
    deps.logger.warn("Could not read the change's thread; will look again", { change: op.id, error });
    return;
  }
  const ok = there || (await quietly(deps, () => deps.announcer.replyFinal(op)));
  if (ok) await applyEvent(deps, op.id, { type: "final-told" });
  await quietly(deps, () => deps.announcer.refreshParent(op));
  await deps.activity?.publish({
    kind: "change",
    stage: op.state === "deployed" ? "completed" : "failed",
    distributionId: op.distributionId,
    alias: op.alias,
    actorUserId: op.requestedBy.userId,
    channelId: op.channelId,
    ...(op.messageTs ? { messageTs: op.messageTs } : {}),
    summary:
      op.state === "deployed"
        ? `change ${op.id} Deployed: ${op.summary}`
        : `change ${op.id} Failed: ${op.error ?? ""}`,
  });
}

async function quietly(deps: ChangeDeps, say: () => Promise<void>): Promise<boolean> {
  try {
    await say();
    return true;
  } catch (error) {
    deps.logger.warn("Could not post a change update to Slack", { error });
    return false;
  }
}

/**
 * The deploy follower: one GetDistribution per distribution covers all of its changes in flight;
 * changes a previous process left mid-write are written (or found written) again.
 */
export async function trackChanges(deps: ChangeDeps): Promise<void> {
  await followChanges(deps);
  // The job runs again when the next deploy is due to be asked about, not at the next tick.
  const pace = paceOf(deps);
  const deploying = (await deps.records.list("change")).filter((c) => c.state === "deploying");
  wakeForEarliest(
    pace,
    deploying.map((c) => c.nextPollAt),
  );
}

/** When to ask again about a change's deploy that is not Deployed yet, from when this ask was due. */
function nextDeployAsk(deps: ChangeDeps, c: ChangeOperation, askedAt: number): number {
  const pace = paceOf(deps);
  return nextStatusAt(
    askedAt,
    c.writtenAt ?? askedAt,
    pace.finishTimes.fastest(c.distributionId),
    pace.everyMs,
  );
}

async function followChanges(deps: ChangeDeps): Promise<void> {
  const now = deps.clock();
  const live = await deps.records.list("change");
  // Only the distributions with work due are asked for: each lease is renewed while it has work.
  const mine = await ownedAmong(
    live
      .filter(
        (c) =>
          c.state === "writing" ||
          (c.state === "deploying" && (c.nextPollAt ?? 0) <= now) ||
          ((c.state === "deployed" || c.state === "failed") && !c.announced.final),
      )
      .map((c) => c.distributionId),
    changeWorkOf,
    deps.owns,
  );
  for (const op of live.filter((c) => c.state === "writing" && mine.has(c.distributionId)))
    await withDistributionLock(op.distributionId, () => writeChange(deps, op.id));
  const deploying = (await deps.records.list("change")).filter(
    (c) => c.state === "deploying" && mine.has(c.distributionId),
  );
  // A new policy nothing uses yet has nothing to deploy.
  for (const op of deploying.filter((c) => c.policyCreate))
    await applyEvent(deps, op.id, { type: "deployed" });
  // A cache policy's change is Deployed once every distribution using it is: one ListDistributions.
  for (const op of deploying.filter((c) => c.policy && (c.nextPollAt ?? 0) <= now)) {
    let statuses: Map<string, string>;
    try {
      statuses = new Map(
        (await deps.cloudfront.listDistributions(op.distributionId)).map((d) => [d.id, d.status]),
      );
    } catch (error) {
      deps.logger.warn("ListDistributions failed while following a cache policy's deploy", {
        policy: op.policy?.id,
        code: describeAwsError(error).code,
      });
      continue;
    }
    const pending = (op.policy?.distributionIds ?? []).filter(
      (id) => (statuses.get(id) ?? "Deployed") !== "Deployed",
    );
    await applyEvent(
      deps,
      op.id,
      pending.length === 0
        ? { type: "deployed" }
        : (c) => ({ type: "still-deploying", nextPollAt: nextDeployAsk(deps, c, now) }),
    );
  }
  const due = new Set(
    deploying
      .filter((c) => !c.policy && !c.policyCreate && (c.nextPollAt ?? 0) <= now)
      .map((c) => c.distributionId),
  );
  for (const distributionId of due) {
    let status: string;
    try {
      status = (await deps.cloudfront.getDistribution(distributionId)).status;
    } catch (error) {
      deps.logger.warn("GetDistribution failed while following a deploy", {
        distributionId,
        code: describeAwsError(error).code,
      });
      continue;
    }
    for (const op of deploying.filter(
      (c) => c.distributionId === distributionId && !c.policy && !c.policyCreate,
    )) {
      // Deploys take 5 to 20 minutes: what this distribution's took before says when to ask densely.
      if (status === "Deployed" && op.writtenAt !== undefined)
        paceOf(deps).finishTimes.record(distributionId, now - op.writtenAt);
      await applyEvent(
        deps,
        op.id,
        status === "Deployed"
          ? { type: "deployed" }
          : (c) => ({ type: "still-deploying", nextPollAt: nextDeployAsk(deps, c, now) }),
      );
    }
  }
  for (const op of (await deps.records.list("change")).filter(
    (c) =>
      (c.state === "deployed" || c.state === "failed") && !c.announced.final && mine.has(c.distributionId),
  )) {
    await finish(deps, op);
  }
}

/** `/cdn rollback`: the inverse of an earlier change, through the same preview, approval and write. */
export async function requestRollback(
  deps: ChangeDeps,
  changeId: string,
  actor: Actor,
  channelId: string,
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
    distribution: original.distributionId,
    spec: { kind: "rollback", of: original.id, writes: inverseWrites(original.diffs) },
    actor,
    channelId,
  });
}

function describeRetention(config: CdnbotConfig): string {
  const days = Math.round(config.retention.finished / 86_400_000);
  return days >= 1 ? `for ${plural(days, "day")}` : "for less than a day";
}
