import { describePrincipals, type EffectivePolicy } from "../approvals/policy.js";
import { shareOf } from "../changes/staged-machine.js";
import type { RecordStore } from "../store/record-store.js";
import type { ApprovalRequest, ChangeOperation, Environment, PurgeOperation } from "../store/records.js";
import { failureText } from "../workflow/failures.js";
import type { OperationStatus } from "./api-schemas.js";

/**
 * An operation's records: the approval request and the purge or change it became share one id. An
 * environment's create shares its id too; a delete is its own request, on the environment's record.
 */
export type OperationRecords = {
  approval?: ApprovalRequest;
  purge?: PurgeOperation;
  change?: ChangeOperation;
  environment?: Environment;
  /** Which of the environment's operations this id is. */
  environmentAction?: "create" | "delete";
};

export async function findOperation(records: RecordStore, id: string): Promise<OperationRecords | undefined> {
  const [approval, purge, change, created] = await Promise.all([
    records.get("approval", id),
    records.get("purge", id),
    records.get("change", id),
    records.get("environment", id),
  ]);
  const payload = approval?.payload;
  let environment = created;
  let environmentAction: "create" | "delete" | undefined = created ? "create" : undefined;
  if (payload?.kind === "environment") {
    environmentAction = payload.action;
    environment ??= await records.get("environment", payload.environmentId);
  }
  if (!approval && !purge && !change && !environment) {
    // A delete that needed no approval is known by the environment it deletes.
    environment = (await records.list("environment")).find((e) => e.deletion?.id === id);
    if (environment) environmentAction = "delete";
  }
  if (!approval && !purge && !change && !environment) return undefined;
  return {
    ...(approval ? { approval } : {}),
    ...(purge ? { purge } : {}),
    ...(change ? { change } : {}),
    ...(environment ? { environment } : {}),
    ...(environmentAction ? { environmentAction } : {}),
  };
}

export const OPERATION_STATES = [
  "awaiting-approval",
  "approved",
  "rejected",
  "expired",
  "cancelled",
  "queued",
  "in-progress",
  "completed",
  "writing",
  "staged",
  "deploying",
  "deployed",
  "creating",
  "ready",
  "disabling",
  "deleting",
  "deleted",
  "failed",
] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

/** The states an operation never leaves: a caller that waits stops at these. */
export const FINAL_STATES: ReadonlySet<OperationState> = new Set([
  "rejected",
  "expired",
  "cancelled",
  "completed",
  "deployed",
  "ready",
  "deleted",
  "failed",
]);

/** An operation as the API shows it: stable field names, times in ISO 8601 (`api-schemas.ts`). */
export type { OperationStatus } from "./api-schemas.js";

const iso = (ms: number) => new Date(ms).toISOString();

function stateOf(found: OperationRecords): OperationState {
  if (found.purge)
    return (
      {
        received: "queued",
        requested: "queued",
        "in-progress": "in-progress",
        completed: "completed",
        failed: "failed",
      } as const
    )[found.purge.state];
  if (found.change) return found.change.state;
  const { approval, environment: env } = found;
  // Until its approval is given and run, an environment's operation is the approval's.
  if (env && (!approval || (approval.state === "approved" && approval.executedAt !== undefined)))
    return env.state;
  if (approval === undefined) return "failed";
  return approval.state === "pending" ? "awaiting-approval" : approval.state;
}

export function operationStatus(
  found: OperationRecords,
  policy: (alias: string, tenant?: string) => EffectivePolicy,
): OperationStatus {
  const { approval, purge, change, environment: env } = found;
  if (!purge && !change && (env || approval?.payload.kind === "environment"))
    return environmentStatus(found, policy);
  const base = (purge ?? change ?? approval)!;
  const state = stateOf(found);
  const requestedAt = purge?.requestedAt ?? change?.requestedAt ?? approval?.createdAt ?? 0;
  const finishedAt = purge?.finishedAt ?? change?.finishedAt ?? approval?.decidedBy?.at;
  const paths = purge?.paths ?? (approval?.payload.kind === "purge" ? approval.payload.paths : undefined);
  const preview =
    purge?.preview ?? (approval?.payload.kind === "purge" ? approval.payload.preview : undefined);
  const summary =
    change?.summary ?? (approval?.payload.kind === "change" ? approval.payload.summary : undefined);
  const messageTs = base.messageTs ?? approval?.messageTs;
  const approvers = approval ? policy(approval.alias, approval.tenant?.name).approvers : undefined;
  const failed = purge ?? change;
  const error = failed && failureText(failed);
  const errorCode = failed?.failure?.code;
  const reason = approval?.state === "rejected" ? approval.decidedBy?.reason : undefined;
  return {
    id: base.id,
    kind: purge || approval?.payload.kind === "purge" ? "purge" : "change",
    distribution: base.alias,
    distributionId: base.distributionId,
    ...(base.tenant ? { tenant: base.tenant.name } : {}),
    state,
    final: FINAL_STATES.has(state),
    requestedBy: base.requestedBy.userId,
    requestedAt: iso(requestedAt),
    ...(finishedAt !== undefined && FINAL_STATES.has(state) ? { finishedAt: iso(finishedAt) } : {}),
    ...(paths ? { paths } : {}),
    ...(preview ? { preview } : {}),
    ...(purge?.invalidationId ? { invalidationId: purge.invalidationId } : {}),
    ...(summary ? { change: summary } : {}),
    ...stagedPart(change, approval),
    ...(approval
      ? {
          approval: {
            state: approval.state,
            required: approval.approvalsRequired,
            given: approval.approvals.length,
            expiresAt: iso(approval.expiresAt),
            askedOf: approvers ? describePrincipals(approvers) : "anyone in the channel except the requester",
          },
        }
      : {}),
    ...(messageTs ? { thread: { channel: base.channelId, ts: messageTs } } : {}),
    ...(error ? { error } : {}),
    ...(errorCode ? { errorCode } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** A staged change's share, phase and latest figures (asked for, while it waits for approval). */
function stagedPart(change: ChangeOperation | undefined, approval: ApprovalRequest | undefined) {
  const run = change?.staged;
  const asked = approval?.payload.kind === "change" ? approval.payload.staged : undefined;
  if (!run)
    return asked ? { staged: { share: shareOf({ traffic: asked }), phase: "setting-up" as const } } : {};
  const phase =
    change.state === "writing"
      ? ("setting-up" as const)
      : change.state === "staged"
        ? (run.phase ?? "deploying")
        : change.state === "failed"
          ? ("pulled-back" as const)
          : ("promoted" as const);
  return {
    staged: {
      share: shareOf(run),
      phase,
      ...(run.stagingId ? { stagingDistributionId: run.stagingId } : {}),
      ...(run.soakUntil !== undefined ? { soakUntil: iso(run.soakUntil) } : {}),
      ...(run.figures ? { figures: { ...run.figures, at: iso(run.figures.at) } } : {}),
    },
  };
}

function approvalPart(
  approval: ApprovalRequest,
  policy: (alias: string, tenant?: string) => EffectivePolicy,
) {
  const approvers = policy(approval.alias, approval.tenant?.name).approvers;
  return {
    state: approval.state,
    required: approval.approvalsRequired,
    given: approval.approvals.length,
    expiresAt: iso(approval.expiresAt),
    askedOf: approvers ? describePrincipals(approvers) : "anyone in the channel except the requester",
  };
}

/** An environment's create or delete as one operation: its approval, then the environment's state. */
function environmentStatus(
  found: OperationRecords,
  policy: (alias: string, tenant?: string) => EffectivePolicy,
): OperationStatus {
  const { approval, environment: env } = found;
  const envError = env && failureText(env);
  const payload = approval?.payload.kind === "environment" ? approval.payload : undefined;
  const action = found.environmentAction ?? payload?.action ?? "create";
  const state = stateOf(found);
  const deleting = action === "delete";
  const deletion =
    deleting && env?.deletion && (!approval || env.deletion.id === approval.id) ? env.deletion : undefined;
  const id = approval?.id ?? (deleting ? (deletion?.id ?? env?.id) : env?.id) ?? "";
  const requestedAt = approval?.createdAt ?? (deleting ? deletion?.requestedAt : env?.requestedAt) ?? 0;
  const finishedAt =
    (deleting ? env?.finishedAt : (env?.readyAt ?? env?.finishedAt)) ?? approval?.decidedBy?.at;
  const thread = deleting
    ? deletion?.messageTs
      ? { channel: deletion.channelId, ts: deletion.messageTs }
      : undefined
    : env?.messageTs
      ? { channel: env.channelId, ts: env.messageTs }
      : undefined;
  const messageTs =
    thread ?? (approval?.messageTs ? { channel: approval.channelId, ts: approval.messageTs } : undefined);
  const reason = approval?.state === "rejected" ? approval.decidedBy?.reason : undefined;
  const requester = approval?.requestedBy ?? (deleting ? deletion?.requestedBy : env?.requestedBy);
  const aliasHost = env?.aliasHost ?? payload?.aliasHost;
  return {
    id,
    kind: "environment",
    distribution: env?.name ?? payload?.name ?? "",
    distributionId: env?.distributionId ?? "",
    state,
    final: FINAL_STATES.has(state),
    requestedBy: requester?.userId ?? "",
    requestedAt: iso(requestedAt),
    ...(finishedAt !== undefined && FINAL_STATES.has(state) ? { finishedAt: iso(finishedAt) } : {}),
    environment: {
      action,
      name: env?.name ?? payload?.name ?? "",
      template: env?.template ?? payload?.template ?? "",
      origin: env?.originDomain ?? payload?.originDomain ?? "",
      ...(aliasHost ? { alias: aliasHost } : {}),
      ...(env?.domainName ? { domainName: env.domainName } : {}),
    },
    ...(approval ? { approval: approvalPart(approval, policy) } : {}),
    ...(messageTs ? { thread: messageTs } : {}),
    ...(envError && FINAL_STATES.has(state)
      ? { error: envError, ...(env?.failure ? { errorCode: env.failure.code } : {}) }
      : {}),
    ...(reason ? { reason } : {}),
  };
}
