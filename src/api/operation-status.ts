import { describePrincipals, type EffectivePolicy } from "../approvals/policy.js";
import type { RecordStore } from "../store/record-store.js";
import type { ApprovalRequest, ChangeOperation, PurgeOperation } from "../store/records.js";

/** An operation's records: the approval request and the purge or change it became share one id. */
export type OperationRecords = {
  approval?: ApprovalRequest;
  purge?: PurgeOperation;
  change?: ChangeOperation;
};

export async function findOperation(records: RecordStore, id: string): Promise<OperationRecords | undefined> {
  const [approval, purge, change] = await Promise.all([
    records.get("approval", id),
    records.get("purge", id),
    records.get("change", id),
  ]);
  if (!approval && !purge && !change) return undefined;
  return { ...(approval ? { approval } : {}), ...(purge ? { purge } : {}), ...(change ? { change } : {}) };
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
  "deploying",
  "deployed",
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
  "failed",
]);

/** An operation as the API shows it: stable field names, times in ISO 8601. */
export type OperationStatus = {
  id: string;
  kind: "purge" | "change";
  distribution: string;
  distributionId: string;
  state: OperationState;
  final: boolean;
  requestedBy: string;
  requestedAt: string;
  finishedAt?: string;
  paths?: string[];
  invalidationId?: string;
  change?: string;
  approval?: {
    state: ApprovalRequest["state"];
    required: number;
    given: number;
    expiresAt: string;
    /** Who may approve, in words: the people the policy names, or anyone in the channel but the requester. */
    askedOf: string;
  };
  thread?: { channel: string; ts: string };
  /** Why it failed. */
  error?: string;
  /** Why it was rejected, when the person said. */
  reason?: string;
};

const iso = (ms: number) => new Date(ms).toISOString();

function stateOf(found: OperationRecords): OperationState {
  if (found.purge)
    return (
      { requested: "queued", "in-progress": "in-progress", completed: "completed", failed: "failed" } as const
    )[found.purge.state];
  if (found.change) return found.change.state;
  const approval = found.approval!;
  return approval.state === "pending" ? "awaiting-approval" : approval.state;
}

export function operationStatus(
  found: OperationRecords,
  policy: (alias: string) => EffectivePolicy,
): OperationStatus {
  const { approval, purge, change } = found;
  const base = (purge ?? change ?? approval)!;
  const state = stateOf(found);
  const requestedAt = purge?.requestedAt ?? change?.requestedAt ?? approval?.createdAt ?? 0;
  const finishedAt = purge?.finishedAt ?? change?.finishedAt ?? approval?.decidedBy?.at;
  const paths = purge?.paths ?? (approval?.payload.kind === "purge" ? approval.payload.paths : undefined);
  const summary =
    change?.summary ?? (approval?.payload.kind === "change" ? approval.payload.summary : undefined);
  const messageTs = base.messageTs ?? approval?.messageTs;
  const approvers = approval ? policy(approval.alias).approvers : undefined;
  const error = purge?.error ?? change?.error;
  const reason = approval?.state === "rejected" ? approval.decidedBy?.reason : undefined;
  return {
    id: base.id,
    kind: purge || approval?.payload.kind === "purge" ? "purge" : "change",
    distribution: base.alias,
    distributionId: base.distributionId,
    state,
    final: FINAL_STATES.has(state),
    requestedBy: base.requestedBy.userId,
    requestedAt: iso(requestedAt),
    ...(finishedAt !== undefined && FINAL_STATES.has(state) ? { finishedAt: iso(finishedAt) } : {}),
    ...(paths ? { paths } : {}),
    ...(purge?.invalidationId ? { invalidationId: purge.invalidationId } : {}),
    ...(summary ? { change: summary } : {}),
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
    ...(reason ? { reason } : {}),
  };
}
