import type { Failure } from "../store/failures.js";
import type { AuditRecord, ChangeOperation } from "../store/records.js";
import { describeFailure } from "../workflow/failures.js";
import type { StagedNote } from "./staged-machine.js";

/**
 * A distribution change as a state machine: `(change, event, now) → (change′, audit, effects)`, pure.
 * The service stores the result, conditional on the version it read, then carries out the effects.
 *
 *   writing ──write-started──▶ writing (intent stored) ──written──▶ deploying ──deployed──▶ deployed
 *      └──failed──▶ failed                                   └──still-deploying──▶ deploying
 */

/** Something a change's thread is told once, as a code (worded at the edge). */
export type ChangeNote =
  | { code: "retrying"; awsCode: string; explanation: string }
  | { code: "already-had" }
  /** The distribution's write pace is used up: written in about this many seconds. */
  | { code: "paced"; seconds: number }
  | StagedNote;

/** What a note is told once as: a wait for the pace is told once, however long it lasts. */
export function changeNoteKey(note: ChangeNote): string {
  return note.code === "retrying" ? `retrying:${note.awsCode}` : note.code;
}

/** How a write is known to have landed. */
export type WriteProof =
  | { kind: "answered"; awsRequestId?: string }
  /** The bot had started the write before a crash, and the distribution's fields show it landed. */
  | { kind: "confirmed-after-restart" }
  /** Someone else made the very same change: nothing needed writing. */
  | { kind: "already-had" };

export type ChangeEvent =
  | { type: "posted"; messageTs: string }
  | { type: "write-started" }
  | { type: "write-refused"; awsCode: string; awsRequestId?: string }
  | { type: "written"; proof: WriteProof }
  | { type: "transient"; note: ChangeNote & { code: "retrying" | "paced" } }
  | { type: "failed"; failure: Failure }
  | { type: "still-deploying"; nextPollAt: number }
  | { type: "deployed" }
  | { type: "final-told" };

export type ChangeEffect =
  | { type: "reply-written" }
  | { type: "reply-note"; note: ChangeNote }
  | { type: "refresh-parent" }
  | { type: "finish" };

export type ChangeStep = { change: ChangeOperation; audit: AuditRecord[]; effects: ChangeEffect[] };

export function auditOf(
  change: ChangeOperation,
  type: string,
  summary: string,
  outcome: "ok" | "error",
  awsRequestId?: string,
): AuditRecord {
  return {
    type,
    actor: change.requestedBy,
    channelId: change.channelId,
    alias: change.alias,
    distributionId: change.distributionId,
    requestId: change.id,
    summary,
    outcome,
    ...(awsRequestId ? { awsRequestId } : {}),
    details: {
      diffs: change.diffs,
      ...(change.iac ? { iac: change.iac } : {}),
      ...(change.reason ? { reason: change.reason } : {}),
    },
  };
}

/** Every AWS call a change's write may be, as the audit log names them (`aws.<call>`). */
export const CHANGE_WRITE_CALLS = [
  "UpdateDistribution",
  "UpdateCachePolicy",
  "UpdateResponseHeadersPolicy",
  "CreateResponseHeadersPolicy",
  "AssociateDistributionWebACL",
  "DisassociateDistributionWebACL",
  "UpdateDistributionTenant",
  "AssociateDistributionTenantWebACL",
  "DisassociateDistributionTenantWebACL",
  "UpdateKeys",
  "CreateDelivery",
  "DeleteDelivery",
] as const;

/**
 * A change (or its rollback) that writes a web ACL alone, a distribution's or a tenant's: it goes
 * through CloudFront's own web ACL API rather than a whole update.
 */
export function writesWebAclOnly(change: Pick<ChangeOperation, "diffs">): boolean {
  return (
    change.diffs.length > 0 &&
    change.diffs.every((d) => d.path === "distribution.WebACLId" || d.path === "tenant.WebACLArn")
  );
}

/**
 * The AWS call a change's write is, for the audit log. (A distribution's web ACL goes through
 * UpdateDistribution where CloudFront refuses its web ACL API; the entry still names the API.)
 */
export function writeCallOf(change: ChangeOperation): (typeof CHANGE_WRITE_CALLS)[number] {
  if (change.keyValueStore) return "UpdateKeys";
  if (change.logDelivery)
    return change.diffs.some(
      (d) => d.path === "delivery.Destination" && d.after !== undefined && d.after !== null,
    )
      ? "CreateDelivery"
      : "DeleteDelivery";
  if (change.policyCreate) return "CreateResponseHeadersPolicy";
  if (change.policy)
    return change.policy.kind === "response-headers" ? "UpdateResponseHeadersPolicy" : "UpdateCachePolicy";
  if (writesWebAclOnly(change)) {
    const attach = Boolean(change.diffs[0]?.after);
    if (change.tenant)
      return attach ? "AssociateDistributionTenantWebACL" : "DisassociateDistributionTenantWebACL";
    return attach ? "AssociateDistributionWebACL" : "DisassociateDistributionWebACL";
  }
  return change.tenant ? "UpdateDistributionTenant" : "UpdateDistribution";
}

/** The next state of a change, or undefined when the event does not apply to it (any more). */
export function changeTransition(
  change: ChangeOperation,
  event: ChangeEvent,
  now: number,
): ChangeStep | undefined {
  const none = { audit: [], effects: [] };
  switch (event.type) {
    case "posted":
      return { change: { ...change, messageTs: event.messageTs }, ...none };
    case "write-started":
      if (change.state !== "writing" || change.writeStartedAt !== undefined) return undefined;
      return { change: { ...change, writeStartedAt: now }, ...none };
    case "write-refused":
      if (change.state !== "writing") return undefined;
      return {
        change,
        audit: [
          auditOf(
            change,
            `aws.${writeCallOf(change)}`,
            `${writeCallOf(change)} failed: ${event.awsCode}`,
            "error",
            event.awsRequestId,
          ),
        ],
        effects: [],
      };
    case "written": {
      if (change.state !== "writing") return undefined;
      const { proof } = event;
      const summary =
        proof.kind === "confirmed-after-restart"
          ? `Change ${change.id}: ${change.summary} (the write reached AWS before a restart, confirmed by reading the distribution's fields; AWS's request id was lost with the process)`
          : `Change ${change.id}: ${change.summary}`;
      // The flag is stored with the state, before posting: a crash can cost the "written" reply but
      // never repeat it (the Deployed reply follows).
      const tell: ChangeEffect[] = change.announced.written
        ? []
        : [
            { type: "reply-written" },
            ...(proof.kind === "already-had"
              ? [{ type: "reply-note" as const, note: { code: "already-had" as const } }]
              : []),
          ];
      return {
        change: {
          ...change,
          state: "deploying",
          writtenAt: now,
          announced: { ...change.announced, written: true },
        },
        audit: [
          auditOf(
            change,
            `aws.${writeCallOf(change)}`,
            summary,
            "ok",
            proof.kind === "answered" ? proof.awsRequestId : undefined,
          ),
        ],
        effects: [...tell, { type: "refresh-parent" }],
      };
    }
    case "transient": {
      if (change.state !== "writing" || !change.messageTs) return undefined;
      const key = changeNoteKey(event.note);
      if (change.told.includes(key)) return undefined;
      return {
        change: { ...change, told: [...change.told, key] },
        audit: [],
        effects: [{ type: "reply-note", note: event.note }],
      };
    }
    case "failed":
      if (change.state === "deployed" || change.state === "failed") return undefined;
      return {
        change: { ...change, state: "failed", failure: event.failure, finishedAt: now },
        audit: [auditOf(change, "change.failed", describeFailure(event.failure), "error")],
        effects: [{ type: "finish" }],
      };
    case "still-deploying":
      if (change.state !== "deploying") return undefined;
      return { change: { ...change, nextPollAt: event.nextPollAt }, ...none };
    case "deployed":
      if (change.state !== "deploying") return undefined;
      return {
        change: { ...change, state: "deployed", finishedAt: now },
        audit: [auditOf(change, "change.deployed", `Change ${change.id} Deployed`, "ok")],
        effects: [{ type: "finish" }],
      };
    case "final-told":
      if (change.announced.final) return undefined;
      return { change: { ...change, announced: { ...change.announced, final: true } }, ...none };
  }
}
