import type { Failure } from "../store/failures.js";
import type { AuditRecord, PurgeBatch, PurgeOperation } from "../store/records.js";
import { plural } from "../text/plain-text.js";
import { countBilledPaths, isWildcard } from "./invalidation-paths.js";

/**
 * A purge batch (one invalidation and the purges coalesced into it) as a state machine:
 * `(batch, purges, event, now) → (batch′, purges′, effects)`, pure. The engine stores the result,
 * conditional on the versions it read, then carries out the effects.
 *
 *   open ──send──▶ sending ──created──▶ in-progress ──polled: Completed──▶ completed
 *     │              │  └──send-failed (transient)──▶ waiting ──send──▶ …
 *     └─(quota full)─┴──▶ waiting             └──send-failed (refused) / polled: lost──▶ failed
 */

/** Something a purge's thread is told once, as a code and what its words need (worded at the edge). */
export type PurgeNote =
  | { code: "queued"; paths: "wildcard" | "file"; allowed: number; inProgress: number }
  | { code: "retrying"; awsCode: string; explanation: string }
  | { code: "slow-status" }
  | { code: "paced"; ahead: number; seconds: number };

/** The note's identity for "told once": its code and what tells it apart, never its wording. */
export function noteKey(note: PurgeNote): string {
  switch (note.code) {
    case "queued":
      return `queued:${note.paths}`;
    case "retrying":
      return `retrying:${note.awsCode}`;
    case "slow-status":
      return "slow-status";
    case "paced":
      return "paced";
  }
}

export type Limits = { maxFilePathsInFlight: number; maxWildcardPathsInFlight: number };

export type InvalidationResult = { id: string; status: string; requestId?: string };
export type AwsProblem = { code: string; explanation: string; retryable: boolean; requestId?: string };

export type BatchEvent =
  /** The window has closed (or a retry is due): send, unless the in-flight quota is full. */
  | { type: "send"; inFlight: { files: number; wildcards: number }; limits: Limits }
  | { type: "created"; invalidation: InvalidationResult; nextPollAt: number }
  | { type: "send-failed"; problem: AwsProblem; failure: Failure; retryAt: number }
  | { type: "completed" }
  | { type: "lost"; failure: Failure }
  | { type: "still-running"; nextPollAt: number };

export type BatchEffect =
  | { type: "create-invalidation" }
  | { type: "tell"; note: PurgeNote }
  | { type: "announce-created" }
  | { type: "finish"; outcome: { state: "completed" } | { state: "failed"; failure: Failure } }
  | { type: "wake"; at: number };

export type BatchStep = {
  batch: PurgeBatch;
  purges: PurgeOperation[];
  audit: AuditRecord[];
  billPaths?: number;
  /** Each API client's share of `billPaths`: its purges' own paths. */
  billClients?: Record<string, number>;
  effects: BatchEffect[];
};

export function splitPaths(paths: readonly string[]): { files: number; wildcards: number } {
  const wildcards = paths.filter(isWildcard).length;
  return { wildcards, files: paths.length - wildcards };
}

/** Who asked and where, for every audit entry about a purge. */
export function auditContext(op: PurgeOperation) {
  return {
    actor: op.requestedBy,
    channelId: op.channelId,
    alias: op.alias,
    distributionId: op.distributionId,
    operationId: op.id,
  };
}

function queuedNote(batch: PurgeBatch, inFlight: { files: number; wildcards: number }, limits: Limits) {
  const adding = splitPaths(batch.paths);
  if (adding.wildcards > 0 && inFlight.wildcards + adding.wildcards > limits.maxWildcardPathsInFlight)
    return {
      code: "queued",
      paths: "wildcard",
      allowed: limits.maxWildcardPathsInFlight,
      inProgress: inFlight.wildcards,
    } as const;
  if (adding.files > 0 && inFlight.files + adding.files > limits.maxFilePathsInFlight)
    return {
      code: "queued",
      paths: "file",
      allowed: limits.maxFilePathsInFlight,
      inProgress: inFlight.files,
    } as const;
  return undefined;
}

/** The next state of a batch, or undefined when the event does not apply to it (any more). */
export function batchTransition(
  batch: PurgeBatch,
  purges: PurgeOperation[],
  event: BatchEvent,
  now: number,
): BatchStep | undefined {
  const same = { batch, purges, audit: [] as AuditRecord[] };
  switch (event.type) {
    case "send": {
      if (!["open", "waiting", "sending"].includes(batch.state) || batch.sendAt > now) return undefined;
      const queued = queuedNote(batch, event.inFlight, event.limits);
      if (queued) {
        return {
          ...same,
          batch: { ...batch, state: "waiting", waitingReason: queued.code },
          effects: [{ type: "tell", note: queued }],
        };
      }
      return {
        ...same,
        batch: { ...batch, state: "sending", attempts: batch.attempts + 1 },
        effects: [{ type: "create-invalidation" }],
      };
    }
    case "created":
      return createdStep(batch, purges, event, now);
    case "send-failed":
      return sendFailedStep(batch, purges, event, now);
    case "completed":
      if (batch.state !== "in-progress" && batch.state !== "sending") return undefined;
      return {
        ...same,
        batch: { ...batch, state: "completed", finishedAt: now },
        effects: [{ type: "finish", outcome: { state: "completed" } }],
      };
    case "lost": {
      if (batch.state !== "in-progress") return undefined;
      const { failure } = event;
      return {
        ...same,
        batch: { ...batch, state: "failed", failure, finishedAt: now },
        effects: [{ type: "finish", outcome: { state: "failed", failure } }],
      };
    }
    case "still-running":
      if (batch.state !== "in-progress") return undefined;
      return { ...same, batch: { ...batch, nextPollAt: event.nextPollAt }, effects: [] };
  }
}

/** CloudFront made the invalidation: its purges are in progress, billed once, their threads told. */
function createdStep(
  batch: PurgeBatch,
  purges: PurgeOperation[],
  event: Extract<BatchEvent, { type: "created" }>,
  now: number,
): BatchStep | undefined {
  if (batch.state === "completed" || batch.state === "failed") return undefined;
  const { invalidation } = event;
  const { waitingReason: _cleared, ...rest } = batch;
  const firstTime = batch.invalidationId === undefined;
  const coalesced = batch.operationIds.length > 1 ? ` for ${batch.operationIds.length} coalesced purges` : "";
  return {
    batch: {
      ...rest,
      state: "in-progress",
      invalidationId: invalidation.id,
      createdAt: batch.createdAt ?? now,
      nextPollAt: event.nextPollAt,
    },
    purges: purges.map((op) => ({
      ...op,
      state: "in-progress",
      invalidationId: invalidation.id,
      createdAt: op.createdAt ?? now,
    })),
    audit: purges.map((op) => ({
      ...auditContext(op),
      type: "aws.CreateInvalidation",
      summary: `Invalidation ${invalidation.id} of ${plural(batch.paths.length, "path")}${coalesced}`,
      outcome: "ok" as const,
      ...(invalidation.requestId ? { awsRequestId: invalidation.requestId } : {}),
      details: { invalidationId: invalidation.id, batchId: batch.id, paths: batch.paths.slice(0, 50) },
    })),
    // Billed once, however often a crash makes the create be retried (it returns the same one).
    ...(firstTime ? { billPaths: countBilledPaths(batch.paths), billClients: clientShares(purges) } : {}),
    effects: [
      { type: "announce-created" },
      ...(invalidation.status === "Completed"
        ? [{ type: "finish" as const, outcome: { state: "completed" as const } }]
        : []),
    ],
  };
}

/** CreateInvalidation was refused: retried later if it may succeed, else the purges fail in words. */
function sendFailedStep(
  batch: PurgeBatch,
  purges: PurgeOperation[],
  event: Extract<BatchEvent, { type: "send-failed" }>,
  now: number,
): BatchStep | undefined {
  const same = { batch, purges, audit: [] as AuditRecord[] };
  const { problem } = event;
  const audit = purges.map((op) => ({
    ...auditContext(op),
    type: "aws.CreateInvalidation",
    summary: `CreateInvalidation of ${plural(batch.paths.length, "path")} failed: ${problem.code}${problem.retryable ? " (will retry)" : ""}`,
    outcome: "error" as const,
    ...(problem.requestId ? { awsRequestId: problem.requestId } : {}),
  }));
  if (problem.retryable) {
    return {
      ...same,
      batch: { ...batch, state: "waiting", sendAt: event.retryAt, waitingReason: problem.code },
      audit,
      effects: [
        { type: "wake", at: event.retryAt },
        {
          type: "tell",
          note: { code: "retrying", awsCode: problem.code, explanation: problem.explanation },
        },
      ],
    };
  }
  return {
    ...same,
    batch: { ...batch, state: "failed", failure: event.failure, finishedAt: now },
    audit,
    effects: [{ type: "finish", outcome: { state: "failed", failure: event.failure } }],
  };
}

/** The paths each API client's purges in a batch bill it for, counted per purge (before coalescing). */
function clientShares(purges: readonly PurgeOperation[]): Record<string, number> {
  const shares: Record<string, number> = {};
  for (const op of purges) {
    const client = op.origin?.client;
    if (client) shares[client] = (shares[client] ?? 0) + countBilledPaths(op.paths);
  }
  return shares;
}
