import { describeAwsError } from "../aws/aws-errors.js";
import { UserError } from "../errors.js";
import type { DocumentRef, Failure } from "../store/failures.js";
import type { ChangeOperation } from "../store/records.js";
import { awsRefusal } from "../workflow/failures.js";
import type { ChangeDeps } from "./change-deps.js";
import { applyEvent } from "./change-steps.js";

/**
 * A document CloudFront versions with an ETag (a distribution's config, a cache policy, a response
 * headers policy): read with its ETag, written with that ETag as If-Match. Each kind of document is
 * an adapter of this; the safe write below is written once for all of them.
 */
export type VersionedDocument<C> = {
  /** Which document it is, as a refusal names it. */
  ref: DocumentRef;
  read(): Promise<{ config: C; etag: string }>;
  write(config: C, ifMatch: string): Promise<{ requestId?: string }>;
  /**
   * For writes AWS paces (UpdateDistribution a few a minute): takes this write's turn, or says it
   * must wait (false), having asked to be woken when the turn comes.
   */
  takeTurn?(): Promise<boolean>;
  /** AWS answered the write, or throttled it anyway: the pace adapts. */
  paced?(outcome: "answered" | "throttled"): void;
};

/** What a change does with the document as it was read just now. */
export type WriteDecision<C> =
  /** The document already holds what the change writes. */
  | { kind: "already-applied" }
  /** Someone else changed what the change would write over: nothing is written. */
  | { kind: "refuse"; failure: Failure }
  | { kind: "write"; next: C };

/**
 * The safe write: the document and its ETag are read immediately before the write (after any wait
 * for the turn, never before it), the change decides on that fresh copy, and the write carries the
 * ETag as If-Match. The intent is stored before the write, so a crash after it is resolved by the
 * document's own fields when the write is resumed. If CloudFront says the ETag went stale, the
 * document is read and decided on again once; twice is the end.
 */
export async function writeWithFreshEtag<C>(
  deps: ChangeDeps,
  id: string,
  document: (op: ChangeOperation) => VersionedDocument<C>,
  /** Decides on the fresh copy; `document` is which one it is, as a refusal names it. */
  decide: (fresh: C, op: ChangeOperation, document: DocumentRef) => WriteDecision<C>,
): Promise<void> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    const op = await deps.records.get("change", id);
    if (op?.state !== "writing") return;
    const doc = document(op);
    if (doc.takeTurn && !(await doc.takeTurn())) return;
    let fresh: { config: C; etag: string };
    try {
      fresh = await doc.read();
    } catch (error) {
      await failOrWait(deps, op, error);
      return;
    }
    let decision: WriteDecision<C>;
    try {
      decision = decide(fresh.config, op, doc.ref);
    } catch (error) {
      await applyEvent(deps, id, {
        type: "failed",
        failure: {
          code: "no-longer-applies",
          reason: error instanceof UserError ? error.message : String(error),
        },
      });
      return;
    }
    if (decision.kind === "already-applied") {
      // If this bot had started the write, it reached AWS before a crash: that is the write,
      // reported once like any other. If not, someone else made the very same change.
      await applyEvent(deps, id, {
        type: "written",
        proof:
          op.writeStartedAt !== undefined ? { kind: "confirmed-after-restart" } : { kind: "already-had" },
      });
      return;
    }
    if (decision.kind === "refuse") {
      await applyEvent(deps, id, { type: "failed", failure: decision.failure });
      return;
    }
    try {
      await applyEvent(deps, id, { type: "write-started" });
      const out = await doc.write(decision.next, fresh.etag);
      doc.paced?.("answered");
      await applyEvent(deps, id, {
        type: "written",
        proof: { kind: "answered", ...(out.requestId ? { awsRequestId: out.requestId } : {}) },
      });
      return;
    } catch (error) {
      if (/Throttl|TooManyRequests/.test(describeAwsError(error).code)) doc.paced?.("throttled");
      if ((await afterRefusedWrite(deps, op, error, attempt, doc.ref)) === "read-again") continue;
      return;
    }
  }
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
  document: DocumentRef,
): Promise<"read-again" | "done"> {
  const problem = describeAwsError(error);
  await applyEvent(deps, op.id, {
    type: "write-refused",
    awsCode: problem.code,
    ...(problem.requestId ? { awsRequestId: problem.requestId } : {}),
  });
  if (problem.code === "PreconditionFailed" && attempt < 2) return "read-again";
  if (problem.code === "PreconditionFailed")
    await applyEvent(deps, op.id, { type: "failed", failure: { code: "etag-kept-changing", document } });
  else await failOrWait(deps, op, error);
  return "done";
}

/** An AWS error that will not pass fails the change; one that may (throttling, a timeout) waits. */
export async function failOrWait(deps: ChangeDeps, op: ChangeOperation, error: unknown): Promise<void> {
  const problem = describeAwsError(error);
  if (!problem.retryable) {
    await applyEvent(deps, op.id, { type: "failed", failure: awsRefusal(error) });
    return;
  }
  await applyEvent(deps, op.id, {
    type: "transient",
    note: { code: "retrying", awsCode: problem.code, explanation: problem.explanation },
  });
}
