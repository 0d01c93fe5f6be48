import type { ChangeOperation } from "../store/records.js";
import type { StagedFigures, StagedRun } from "../store/staged-run.js";
import { auditOf, type ChangeStep } from "./change-machine.js";

/**
 * A staged change as a state machine, pure, beside the change machine it extends:
 *
 *   writing ─staging-ready─▶ ─staging-written─▶ ─policy-ready─▶ ─attached─▶ staged/deploying
 *   staged/deploying ─both-deployed─▶ soaking ─soak-passed─▶ awaiting-promotion (or promoting)
 *   soaking|awaiting-promotion ─decided(promote)─▶ promoting ─promoted─▶ deploying ─▶ deployed
 *   soaking|awaiting-promotion ─decided(abort|breach)─▶ pulling-back ─pulled-back─▶ failed
 *
 * Each set-up step stores its result before the next begins, so a restart resumes where it was;
 * every AWS write is audited under its own call.
 */

/** What a staged change's thread is told, as codes (worded at the edge). */
export type StagedNote =
  | { code: "staged-serving"; soakUntil: number }
  | { code: "soak-passed"; auto: boolean }
  | { code: "pulling-back"; because: "breach" | "abort"; detail: string }
  | { code: "promoting"; by?: string }
  | { code: "promoted" };

export type StagedEvent =
  | { type: "staging-ready"; stagingId: string; stagingDomain: string; made?: { awsRequestId?: string } }
  | { type: "staging-written"; awsRequestId?: string; policyCopyId?: string }
  | {
      type: "policy-ready";
      policyId: string;
      call: "CreateContinuousDeploymentPolicy" | "UpdateContinuousDeploymentPolicy";
      awsRequestId?: string;
    }
  | { type: "attached"; awsRequestId?: string }
  | { type: "both-deployed"; soakUntil: number }
  | { type: "figures"; figures: StagedFigures }
  | { type: "soak-passed"; auto: boolean }
  | { type: "decided"; verdict: NonNullable<StagedRun["verdict"]> }
  | { type: "promote-started" }
  | { type: "promoted"; awsRequestId?: string }
  | { type: "pulled-back"; awsRequestId?: string }
  | { type: "diverged"; fields: string[] };

export const STAGED_EVENTS: ReadonlySet<string> = new Set<StagedEvent["type"]>([
  "staging-ready",
  "staging-written",
  "policy-ready",
  "attached",
  "both-deployed",
  "figures",
  "soak-passed",
  "decided",
  "promote-started",
  "promoted",
  "pulled-back",
  "diverged",
]);

const audited = (
  change: ChangeOperation,
  call: string,
  summary: string,
  awsRequestId?: string,
): ChangeStep["audit"][number] =>
  auditOf(change, `aws.${call}`, `Change ${change.id}: ${summary}`, "ok", awsRequestId);

/** The next state of a staged change, or undefined when the event does not apply to it (any more). */
export function stagedTransition(
  change: ChangeOperation,
  event: StagedEvent,
  now: number,
): ChangeStep | undefined {
  const run = change.staged;
  if (!run) return undefined;
  const at = (next: Partial<StagedRun>, rest: Partial<ChangeOperation> = {}): ChangeOperation => ({
    ...change,
    ...rest,
    staged: { ...run, ...next },
  });
  const none = { audit: [], effects: [] };
  const setup = change.state === "writing";
  switch (event.type) {
    case "staging-ready":
      if (!setup || run.stagingId) return undefined;
      return {
        change: at({ stagingId: event.stagingId, stagingDomain: event.stagingDomain }),
        audit: event.made
          ? [
              audited(
                change,
                "CopyDistribution",
                `staging copy ${event.stagingId} of ${change.distributionId} made`,
                event.made.awsRequestId,
              ),
            ]
          : [],
        effects: [],
      };
    case "staging-written":
      if (!setup || !run.stagingId || run.stagingWrittenAt !== undefined) return undefined;
      return {
        change: at({
          stagingWrittenAt: now,
          ...(event.policyCopyId ? { policyCopyId: event.policyCopyId } : {}),
        }),
        audit: [
          audited(
            change,
            "UpdateDistribution",
            `written to staging copy ${run.stagingId}: ${change.summary}`,
            event.awsRequestId,
          ),
        ],
        effects: [],
      };
    case "policy-ready":
      if (!setup || run.stagingWrittenAt === undefined || run.policyId) return undefined;
      return {
        change: at({ policyId: event.policyId }),
        audit: [
          audited(
            change,
            event.call,
            `continuous deployment policy ${event.policyId} sends ${shareOf(run)} to ${run.stagingId}`,
            event.awsRequestId,
          ),
        ],
        effects: [],
      };
    case "attached":
      if (!setup || !run.policyId) return undefined;
      return {
        change: at({ attachedAt: now, phase: "deploying" }, { state: "staged" }),
        audit: [
          audited(
            change,
            "UpdateDistribution",
            `continuous deployment policy ${run.policyId} on ${change.distributionId}`,
            event.awsRequestId,
          ),
        ],
        effects: [{ type: "refresh-parent" }],
      };
    case "both-deployed":
      if (change.state !== "staged" || run.phase !== "deploying") return undefined;
      return {
        change: at({ phase: "soaking", soakUntil: event.soakUntil }),
        audit: [],
        effects: [
          { type: "reply-note", note: { code: "staged-serving", soakUntil: event.soakUntil } },
          { type: "refresh-parent" },
        ],
      };
    case "figures":
      // Read while it soaks, and while it waits for a person (it still serves its share).
      if (change.state !== "staged" || (run.phase !== "soaking" && run.phase !== "awaiting-promotion"))
        return undefined;
      return { change: at({ figures: event.figures }), audit: [], effects: [{ type: "refresh-parent" }] };
    case "soak-passed":
      if (change.state !== "staged" || run.phase !== "soaking") return undefined;
      return {
        change: at(
          event.auto
            ? { phase: "promoting", verdict: { kind: "promote", at: now, reason: "soak passed" } }
            : { phase: "awaiting-promotion" },
        ),
        audit: [],
        effects: [
          { type: "reply-note", note: { code: "soak-passed", auto: event.auto } },
          { type: "refresh-parent" },
        ],
      };
    case "decided": {
      const open =
        change.state === "staged" && (run.phase === "soaking" || run.phase === "awaiting-promotion");
      // A person's promotion waits for the deploy to finish; an abort or a breach may come any time.
      const mayAbort = change.state === "staged" && run.phase !== "promoting" && run.phase !== "pulling-back";
      const { verdict } = event;
      if (verdict.kind === "promote" ? !open : !mayAbort) return undefined;
      const promote = verdict.kind === "promote";
      const detail = verdict.reason ?? "";
      return {
        change: at({ phase: promote ? "promoting" : "pulling-back", verdict }),
        audit: [
          auditOf(
            change,
            promote ? "change.promote" : verdict.kind === "abort" ? "change.abort" : "change.breach",
            `Change ${change.id}: ${promote ? "promotion" : verdict.kind === "abort" ? "aborted" : "pulled back"}${detail ? ` (${detail})` : ""}`,
            "ok",
          ),
        ],
        effects: [
          {
            type: "reply-note",
            note: promote
              ? { code: "promoting", ...(verdict.by ? { by: verdict.by.userId } : {}) }
              : { code: "pulling-back", because: verdict.kind === "abort" ? "abort" : "breach", detail },
          },
          { type: "refresh-parent" },
        ],
      };
    }
    case "promote-started":
      if (change.state !== "staged" || run.phase !== "promoting" || run.promoteStartedAt !== undefined)
        return undefined;
      return { change: at({ promoteStartedAt: now }), ...none };
    case "promoted":
      if (change.state !== "staged" || run.phase !== "promoting") return undefined;
      return {
        change: at(
          {},
          { state: "deploying", writtenAt: now, announced: { ...change.announced, written: true } },
        ),
        audit: [
          audited(
            change,
            "UpdateDistributionWithStagingConfig",
            `staging copy ${run.stagingId} promoted onto ${change.distributionId}: ${change.summary}`,
            event.awsRequestId,
          ),
        ],
        effects: [{ type: "reply-note", note: { code: "promoted" } }, { type: "refresh-parent" }],
      };
    case "pulled-back": {
      if (change.state !== "staged" || run.phase !== "pulling-back") return undefined;
      const verdict = run.verdict;
      return {
        change: {
          ...at({}),
          state: "failed",
          finishedAt: now,
          failure:
            verdict?.kind === "diverged"
              ? { code: "staging-diverged", fields: (verdict.reason ?? "").split(", ") }
              : {
                  code: "staged-pulled-back",
                  because: verdict?.kind === "abort" ? "abort" : "breach",
                  detail: verdict?.reason ?? "",
                },
        },
        audit: [
          audited(
            change,
            "UpdateContinuousDeploymentPolicy",
            `policy ${run.policyId} off: all traffic back to ${change.distributionId}`,
            event.awsRequestId,
          ),
        ],
        effects: [{ type: "finish" }],
      };
    }
    case "diverged": {
      if (change.state !== "staged" || run.phase !== "promoting") return undefined;
      const reason = event.fields.join(", ");
      return {
        change: at({ phase: "pulling-back", verdict: { kind: "diverged", at: now, reason } }),
        audit: [
          auditOf(
            change,
            "change.diverged",
            `Change ${change.id} not promoted: ${reason} changed since it was staged`,
            "error",
          ),
        ],
        effects: [{ type: "refresh-parent" }],
      };
    }
  }
}

/** The share of the traffic a staged change gets, in words. */
export function shareOf(run: Pick<StagedRun, "traffic">): string {
  return "weight" in run.traffic
    ? `${Math.round(run.traffic.weight * 1000) / 10}% of requests`
    : `requests with header ${run.traffic.header.name}: ${run.traffic.header.value}`;
}
