import { type ApprovalDeps, openApprovalRequest } from "../approvals/approval-service.js";
import { authorizeRequest } from "../approvals/authorize-request.js";
import { type GroupLookup, needsApproval } from "../approvals/policy.js";
import { describeAwsError } from "../aws/aws-errors.js";
import type { CloudFrontGateway, DistributionConfig } from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import { NotInChannelError, UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import { changeNothingMessage, diffLines, formatFieldValue } from "../messages/change-messages.js";
import { appendAudit } from "../store/audit-outbox.js";
import type { Actor, ApprovalRequest, ChangeOperation } from "../store/records.js";
import type { StateStore } from "../store/state-store.js";
import { plural } from "../text/plain-text.js";
import { pollDelay } from "../tracking/backoff.js";
import type { ActivityFeed } from "../watch/activity-feed.js";
import type { ChangeAnnouncer } from "./change-announcer.js";
import type { ChangeSpec, FieldDiff } from "./change-spec.js";
import {
  alreadyApplied,
  applyWrites,
  compileChange,
  diffWrites,
  driftSince,
  inverseWrites,
} from "./plan-change.js";

export type ChangeDeps = {
  config: CdnbotConfig;
  store: StateStore;
  cloudfront: CloudFrontGateway;
  announcer: ChangeAnnouncer;
  approvals: ApprovalDeps;
  membersOf: GroupLookup;
  clock: () => number;
  logger: Logger;
  newId: () => string;
  /** The base interval for following deploys; polls space out as a deploy ages. */
  pollMs: number;
  activity?: ActivityFeed;
};

export type ChangeRequest = { distribution: string; spec: ChangeSpec; actor: Actor; channelId: string };

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

/**
 * Previews a change against the live config and asks for approval (or, where the policy needs none,
 * runs it). A change that changes nothing, or cannot apply, is refused before anything is sent.
 */
export async function requestChange(deps: ChangeDeps, request: ChangeRequest): Promise<string> {
  const { target, policy } = await authorizeRequest(deps, request, "change");

  const { config } = await readConfig(deps, target.id);
  const diffs = diffWrites(config, compileChange(request.spec, config));
  if (diffs.length === 0) throw new UserError(changeNothingMessage(target.alias));
  const summary = describeSpec(request.spec, diffs);

  if (needsApproval(policy, "change")) {
    const approval = await openApprovalRequest(deps.approvals, {
      action: "change",
      alias: target.alias,
      distributionId: target.id,
      actor: request.actor,
      channelId: request.channelId,
      payload: { kind: "change", spec: request.spec, diffs, summary },
      summary: `Change: ${summary}`,
    });
    return `Change ${approval.id} waits for approval in the channel.`;
  }
  const op = newChangeOperation(
    deps.newId(),
    target,
    request.spec,
    diffs,
    summary,
    request.actor,
    request.channelId,
    deps.clock(),
  );
  await deps.store.update((data) => {
    data.changes.push(op);
  });
  let messageTs: string;
  try {
    messageTs = await deps.announcer.postParent(op);
  } catch (error) {
    // No thread, no change: withdraw the intent, or the scheduler would write it unannounced.
    await deps.store.update((data) => {
      data.changes = data.changes.filter((c) => c.id !== op.id);
    });
    throw error instanceof NotInChannelError ? error.because("Nothing was sent to AWS.") : error;
  }
  await patchChange(deps.store, op.id, { messageTs });
  await runChange(deps, op.id);
  return `Change ${op.id} is being written.`;
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
  };
}

/** Runs an approved change in the request's own message, which becomes its progress thread. */
export async function startApprovedChange(deps: ChangeDeps, request: ApprovalRequest): Promise<void> {
  const payload = request.payload;
  if (payload.kind !== "change") throw new Error(`request ${request.id} is not a change`);
  // Ran and finished long enough ago to be archived: writing it again would repeat it.
  if (deps.store.isArchived("change", request.id)) return;
  await deps.store.update((data) => {
    if (data.changes.some((c) => c.id === request.id)) return;
    data.changes.push(
      newChangeOperation(
        request.id,
        { alias: request.alias, id: request.distributionId },
        payload.spec,
        payload.diffs,
        payload.summary,
        request.requestedBy,
        request.channelId,
        deps.clock(),
        data.approvals.find((r) => r.id === request.id)?.messageTs ?? request.messageTs,
      ),
    );
  });
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

async function patchChange(
  store: StateStore,
  id: string,
  patch: Partial<ChangeOperation>,
): Promise<ChangeOperation> {
  return store.update((data) => {
    const op = data.changes.find((c) => c.id === id);
    if (!op) throw new Error(`change ${id} is not in the store`);
    Object.assign(op, patch);
    return { ...op };
  });
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

export function runChange(deps: ChangeDeps, id: string): Promise<void> {
  const op = deps.store.data.changes.find((c) => c.id === id);
  if (!op) return Promise.resolve();
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
    const op = deps.store.data.changes.find((c) => c.id === id);
    if (op?.state !== "writing") return;
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
      await markWritten(
        deps,
        op,
        op.writeStartedAt !== undefined
          ? { confirmedAfterRestart: true }
          : { note: "The distribution already had these settings; nothing needed writing." },
      );
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
      await failChange(
        deps,
        op,
        `Someone else changed the same settings since the preview (${what}). Nothing was written; ask again to change it from the current settings.`,
      );
      return;
    }
    let next: DistributionConfig;
    try {
      next = applyWrites(fresh.config, compileChange(op.spec, fresh.config));
    } catch (error) {
      await failChange(deps, op, error instanceof UserError ? error.message : String(error));
      return;
    }
    try {
      // The intent first: a crash from here on may or may not have reached AWS, and the change's
      // own fields will tell which when the write is resumed.
      if (op.writeStartedAt === undefined)
        await patchChange(deps.store, op.id, { writeStartedAt: deps.clock() });
      const out = await deps.cloudfront.updateDistribution(op.distributionId, next, fresh.etag);
      await markWritten(deps, op, out.requestId ? { awsRequestId: out.requestId } : {});
      return;
    } catch (error) {
      const problem = describeAwsError(error);
      await audit(
        deps,
        op,
        "aws.UpdateDistribution",
        `UpdateDistribution failed: ${problem.code}`,
        "error",
        problem.requestId,
      );
      if (problem.code === "PreconditionFailed" && attempt < 2) continue;
      if (problem.code === "PreconditionFailed") {
        await failChange(
          deps,
          op,
          "The distribution kept changing while I wrote (its ETag went stale twice). Nothing was written; try again in a moment.",
        );
        return;
      }
      await failOrWait(deps, op, error);
      return;
    }
  }
}

async function failOrWait(deps: ChangeDeps, op: ChangeOperation, error: unknown): Promise<void> {
  const problem = describeAwsError(error);
  if (!problem.retryable) {
    await failChange(deps, op, problem.explanation);
    return;
  }
  const note = `${problem.explanation} I will try again.`;
  if (op.told.includes(note) || !op.messageTs) return;
  const current = await patchChange(deps.store, op.id, { told: [...op.told, note] });
  await quietly(deps, () => deps.announcer.replyNote(current, note));
}

async function audit(
  deps: ChangeDeps,
  op: ChangeOperation,
  type: string,
  summary: string,
  outcome: "ok" | "error",
  awsRequestId?: string,
) {
  await deps.store.update((data) => {
    appendAudit(data, deps.clock(), {
      type,
      actor: op.requestedBy,
      channelId: op.channelId,
      alias: op.alias,
      distributionId: op.distributionId,
      requestId: op.id,
      summary,
      outcome,
      ...(awsRequestId ? { awsRequestId } : {}),
      details: { diffs: op.diffs },
    });
  });
}

type Written = { awsRequestId?: string; note?: string; confirmedAfterRestart?: boolean };

/**
 * Records the write and tells the thread once: the flag is stored with the state, before posting,
 * so a crash here can cost the "written" reply but never repeat it (the Deployed reply follows).
 */
async function markWritten(deps: ChangeDeps, op: ChangeOperation, how: Written) {
  // Read before the patch: `op` may be the live record the patch updates.
  const alreadyTold = op.announced.written;
  const current = await patchChange(deps.store, op.id, {
    state: "deploying",
    writtenAt: deps.clock(),
    announced: { ...op.announced, written: true },
  });
  const summary = how.confirmedAfterRestart
    ? `Change ${op.id}: ${op.summary} (the write reached AWS before a restart, confirmed by reading the distribution's fields; AWS's request id was lost with the process)`
    : `Change ${op.id}: ${op.summary}`;
  await audit(deps, op, "aws.UpdateDistribution", summary, "ok", how.awsRequestId);
  if (!alreadyTold) {
    await quietly(deps, () => deps.announcer.replyWritten(current));
    if (how.note) await quietly(deps, () => deps.announcer.replyNote(current, how.note!));
  }
  await quietly(deps, () => deps.announcer.refreshParent(current));
}

async function failChange(deps: ChangeDeps, op: ChangeOperation, error: string) {
  const current = await patchChange(deps.store, op.id, { state: "failed", error, finishedAt: deps.clock() });
  await audit(deps, op, "change.failed", error, "error");
  await finish(deps, current);
}

async function finish(deps: ChangeDeps, op: ChangeOperation) {
  if (op.announced.final) return;
  const ok = await quietly(deps, () => deps.announcer.replyFinal(op));
  if (ok) await patchChange(deps.store, op.id, { announced: { ...op.announced, final: true } });
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
  for (const op of deps.store.data.changes.filter((c) => c.state === "writing")) await runChange(deps, op.id);
  const deploying = deps.store.data.changes.filter((c) => c.state === "deploying");
  const now = deps.clock();
  const due = new Set(deploying.filter((c) => (c.nextPollAt ?? 0) <= now).map((c) => c.distributionId));
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
    if (status !== "Deployed") {
      // Deploys take 5 to 20 minutes: ask less often as one ages, for all of the distribution's at once.
      await deps.store.update((data) => {
        for (const c of data.changes.filter(
          (x) => x.state === "deploying" && x.distributionId === distributionId,
        )) {
          c.nextPollAt = now + pollDelay(now - (c.writtenAt ?? now), deps.pollMs);
        }
      });
      continue;
    }
    for (const op of deploying.filter((c) => c.distributionId === distributionId)) {
      const current = await patchChange(deps.store, op.id, { state: "deployed", finishedAt: deps.clock() });
      await audit(deps, op, "change.deployed", `Change ${op.id} Deployed`, "ok");
      await finish(deps, current);
    }
  }
  for (const op of deps.store.data.changes.filter(
    (c) => (c.state === "deployed" || c.state === "failed") && !c.announced.final,
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
    deps.store.data.changes.find((c) => c.id === changeId.toUpperCase() || c.id === changeId) ??
    (await deps.store.findArchived("change", changeId.toUpperCase())) ??
    (await deps.store.findArchived("change", changeId));
  if (!original)
    throw new UserError(
      `There is no change \`${changeId.slice(0, 40)}\` (finished changes are kept ${describeRetention(deps.config)}; the audit log keeps their trail). Change ids are in each change's message.`,
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
