import type { Failure } from "../store/failures.js";
import type { AuditRecord, Environment, EnvironmentDeletion } from "../store/records.js";
import { describeFailure } from "../workflow/failures.js";

/**
 * An environment distribution as a state machine: `(env, event, now) → (env′, audit, effects)`, pure.
 * The service stores the result, conditional on the version it read, then carries out the effects.
 *
 *   creating ─create-started─▶ creating (intent stored) ─created─▶ deploying ─deployed─▶ ready
 *      └─create-failed─▶ failed
 *   ready ─delete-requested─▶ disabling ─disable-started, disabled─▶ disabling (disabledAt)
 *         ─deployed─▶ deleting ─delete-started, deleted─▶ deleted
 *   disabling | deleting ─delete-refused─▶ ready (the distribution stays; the thread says why)
 */

/** Something a thread is told, as a code (worded at the edge). */
export type EnvironmentNote =
  | { code: "created" }
  | { code: "ready" }
  | { code: "create-failed"; failure: Failure }
  | { code: "retrying"; awsCode: string; explanation: string }
  | { code: "disabled" }
  | { code: "deleted" }
  | { code: "delete-refused"; failure: Failure };

/** Which thread: the create's (the environment's own) or the delete's. */
export type EnvironmentThread = "create" | "delete";

export function environmentNoteKey(note: EnvironmentNote): string {
  return note.code === "retrying" ? `retrying:${note.awsCode}` : note.code;
}

/** How a write is known to have landed: AWS answered, or a resumed step found it done. */
export type Proof = { kind: "answered"; awsRequestId?: string } | { kind: "found-after-restart" };

export type EnvironmentEvent =
  | { type: "posted"; messageTs: string }
  | { type: "deletion-posted"; messageTs: string }
  | { type: "create-started" }
  | { type: "created"; distributionId: string; domainName: string; proof: Proof }
  | { type: "create-failed"; failure: Failure }
  | { type: "transient"; note: EnvironmentNote & { code: "retrying" } }
  | { type: "still-deploying"; nextPollAt: number }
  | { type: "deployed" }
  | { type: "delete-requested"; deletion: Omit<EnvironmentDeletion, "told"> }
  | { type: "disable-started" }
  | { type: "disabled"; proof: Proof }
  | { type: "delete-started" }
  | { type: "deleted"; proof: Proof }
  | { type: "delete-refused"; failure: Failure };

export type EnvironmentEffect =
  /** A reply in a thread (where it is, so a reply about a deletion outlives the deletion). */
  | { type: "reply"; channelId: string; messageTs: string; note: EnvironmentNote }
  | { type: "refresh-parent" }
  /** The bot's distributions gained or lost this one: tell the registry. */
  | { type: "registry-changed" };

export type EnvironmentStep = { env: Environment; audit: AuditRecord[]; effects: EnvironmentEffect[] };

function auditOf(
  env: Environment,
  type: string,
  summary: string,
  outcome: "ok" | "error",
  awsRequestId?: string,
): AuditRecord {
  const deletion = env.deletion;
  return {
    type,
    actor: deletion && type !== "environment.ready" ? deletion.requestedBy : env.requestedBy,
    channelId: deletion?.channelId ?? env.channelId,
    alias: env.name,
    ...(env.distributionId ? { distributionId: env.distributionId } : {}),
    requestId: deletion?.id ?? env.id,
    summary,
    outcome,
    ...(awsRequestId ? { awsRequestId } : {}),
    details: {
      template: env.template,
      origin: env.originDomain,
      ...(env.aliasHost ? { alias: env.aliasHost } : {}),
    },
  };
}

const proofNote = (proof: Proof) =>
  proof.kind === "found-after-restart"
    ? " (the call reached AWS before a restart: found by reading CloudFront; AWS's request id was lost with the process)"
    : "";

/**
 * A reply, and the flag that it was said stored in the same step (before posting): a crash can
 * cost the reply, never repeat it. A thread without a message yet cannot be replied in.
 */
function tell(env: Environment, thread: EnvironmentThread, note: EnvironmentNote) {
  const key = environmentNoteKey(note);
  if (thread === "create") {
    if (env.told.includes(key)) return { env, effects: [] };
    return {
      env: { ...env, told: [...env.told, key] },
      effects: env.messageTs
        ? [{ type: "reply" as const, channelId: env.channelId, messageTs: env.messageTs, note }]
        : [],
    };
  }
  const deletion = env.deletion;
  if (!deletion || deletion.told.includes(key)) return { env, effects: [] };
  return {
    env: { ...env, deletion: { ...deletion, told: [...deletion.told, key] } },
    effects: deletion.messageTs
      ? [{ type: "reply" as const, channelId: deletion.channelId, messageTs: deletion.messageTs, note }]
      : [],
  };
}

/** The events of an environment's deletion (disable, wait for Deployed, delete); the rest are its creation's. */
const DELETION_EVENTS = new Set<EnvironmentEvent["type"]>([
  "delete-refused",
  "delete-requested",
  "delete-started",
  "deleted",
  "deletion-posted",
  "disable-started",
  "disabled",
]);
type DeletionEvent = Extract<
  EnvironmentEvent,
  {
    type:
      | "delete-refused"
      | "delete-requested"
      | "delete-started"
      | "deleted"
      | "deletion-posted"
      | "disable-started"
      | "disabled";
  }
>;
const isDeletion = (event: EnvironmentEvent): event is DeletionEvent => DELETION_EVENTS.has(event.type);

/** A step that changes the record only: nothing to audit, nothing to do. */
const none = () => ({ audit: [], effects: [] });

/** The next state of an environment, or undefined when the event does not apply to it (any more). */
export function environmentTransition(
  env: Environment,
  event: EnvironmentEvent,
  now: number,
): EnvironmentStep | undefined {
  return isDeletion(event) ? deletionTransition(env, event, now) : creationTransition(env, event, now);
}

/** Creating: posted, the create call, Deployed; and what any phase is told while it waits. */
function creationTransition(
  env: Environment,
  event: Exclude<EnvironmentEvent, DeletionEvent>,
  now: number,
): EnvironmentStep | undefined {
  switch (event.type) {
    case "posted":
      return { env: { ...env, messageTs: event.messageTs }, ...none() };
    case "create-started":
      if (env.state !== "creating" || env.createStartedAt !== undefined) return undefined;
      return { env: { ...env, createStartedAt: now }, ...none() };
    case "created": {
      if (env.state !== "creating") return undefined;
      const next: Environment = {
        ...env,
        state: "deploying",
        distributionId: event.distributionId,
        domainName: event.domainName,
        createdAt: now,
      };
      const told = tell(next, "create", { code: "created" });
      return {
        env: told.env,
        audit: [
          auditOf(
            next,
            "aws.CreateDistribution",
            `Environment ${env.name} (${env.id}): distribution ${event.distributionId} created from template ${env.template}${proofNote(event.proof)}`,
            "ok",
            event.proof.kind === "answered" ? event.proof.awsRequestId : undefined,
          ),
        ],
        // The registry first: once the thread says so, the bot's distributions say so too.
        effects: [{ type: "registry-changed" }, ...told.effects, { type: "refresh-parent" }],
      };
    }
    case "create-failed": {
      if (env.state !== "creating") return undefined;
      const next: Environment = {
        ...env,
        state: "failed",
        failure: event.failure,
        finishedAt: now,
        announced: { ...env.announced, created: true },
      };
      const told = tell(next, "create", { code: "create-failed", failure: event.failure });
      return {
        env: told.env,
        audit: [
          auditOf(
            env,
            "environment.failed",
            `Environment ${env.name} was not created: ${auditReason(event.failure)}`,
            "error",
          ),
        ],
        effects: [...told.effects, { type: "refresh-parent" }],
      };
    }
    case "transient": {
      if (env.state === "ready" || env.state === "deleted" || env.state === "failed") return undefined;
      const told = tell(env, env.deletion ? "delete" : "create", event.note);
      if (told.env === env) return undefined;
      return { env: told.env, audit: [], effects: told.effects };
    }
    case "still-deploying":
      if (env.state !== "deploying" && env.state !== "disabling") return undefined;
      return { env: { ...env, nextPollAt: event.nextPollAt }, ...none() };
    case "deployed": {
      if (env.state === "deploying") {
        const next: Environment = {
          ...env,
          state: "ready",
          readyAt: now,
          announced: { ...env.announced, created: true },
        };
        delete next.nextPollAt;
        const told = tell(next, "create", { code: "ready" });
        return {
          env: told.env,
          audit: [auditOf(env, "environment.ready", `Environment ${env.name} is Deployed and ready`, "ok")],
          effects: [...told.effects, { type: "refresh-parent" }],
        };
      }
      if (env.state === "disabling" && env.deletion?.disabledAt !== undefined) {
        const next: Environment = { ...env, state: "deleting" };
        delete next.nextPollAt;
        return { env: next, ...none() };
      }
      return undefined;
    }
  }
}

/** Deleting: disable, wait for the disabled config to deploy, delete; or refused and back to ready. */
function deletionTransition(
  env: Environment,
  event: DeletionEvent,
  now: number,
): EnvironmentStep | undefined {
  switch (event.type) {
    case "deletion-posted":
      if (!env.deletion) return undefined;
      return { env: { ...env, deletion: { ...env.deletion, messageTs: event.messageTs } }, ...none() };
    case "delete-requested": {
      if (env.state !== "ready" || env.deletion) return undefined;
      const next: Environment = { ...env, state: "disabling", deletion: { ...event.deletion, told: [] } };
      delete next.error;
      delete next.failure;
      return {
        env: next,
        audit: [
          auditOf(
            next,
            "environment.delete-requested",
            `Environment ${env.name}: disable, then delete distribution ${env.distributionId ?? ""}`,
            "ok",
          ),
        ],
        effects: [{ type: "refresh-parent" }],
      };
    }
    case "disable-started":
      if (env.state !== "disabling" || !env.deletion || env.deletion.disableStartedAt !== undefined)
        return undefined;
      return { env: { ...env, deletion: { ...env.deletion, disableStartedAt: now } }, ...none() };
    case "disabled": {
      if (env.state !== "disabling" || !env.deletion || env.deletion.disabledAt !== undefined)
        return undefined;
      const next: Environment = { ...env, deletion: { ...env.deletion, disabledAt: now } };
      const told = tell(next, "delete", { code: "disabled" });
      return {
        env: told.env,
        audit: [
          auditOf(
            next,
            "aws.UpdateDistribution",
            `Environment ${env.name}: distribution ${env.distributionId ?? ""} disabled${proofNote(event.proof)}`,
            "ok",
            event.proof.kind === "answered" ? event.proof.awsRequestId : undefined,
          ),
        ],
        effects: told.effects,
      };
    }
    case "delete-started":
      if (env.state !== "deleting" || !env.deletion || env.deletion.deleteStartedAt !== undefined)
        return undefined;
      return { env: { ...env, deletion: { ...env.deletion, deleteStartedAt: now } }, ...none() };
    case "deleted": {
      if (env.state !== "deleting") return undefined;
      const next: Environment = {
        ...env,
        state: "deleted",
        finishedAt: now,
        announced: { ...env.announced, deleted: true },
      };
      const told = tell(next, "delete", { code: "deleted" });
      return {
        env: told.env,
        audit: [
          auditOf(
            next,
            "aws.DeleteDistribution",
            `Environment ${env.name}: distribution ${env.distributionId ?? ""} deleted${proofNote(event.proof)}`,
            "ok",
            event.proof.kind === "answered" ? event.proof.awsRequestId : undefined,
          ),
        ],
        // The registry first: once the thread says so, the bot's distributions say so too.
        effects: [{ type: "registry-changed" }, ...told.effects, { type: "refresh-parent" }],
      };
    }
    case "delete-refused": {
      if ((env.state !== "disabling" && env.state !== "deleting") || !env.deletion) return undefined;
      const told = tell(env, "delete", { code: "delete-refused", failure: event.failure });
      const next: Environment = { ...told.env, state: "ready", failure: event.failure };
      delete next.error;
      delete next.deletion;
      delete next.nextPollAt;
      return {
        env: next,
        audit: [
          auditOf(
            env,
            "environment.delete-failed",
            `Environment ${env.name} was not deleted: ${auditReason(event.failure)}`,
            "error",
          ),
        ],
        effects: [...told.effects, { type: "refresh-parent" }],
      };
    }
  }
}

/** The audit log names an AWS refusal by its code, anything else by its words. */
function auditReason(failure: Failure): string {
  return failure.code === "aws-refused" ? failure.awsCode : describeFailure(failure);
}
