import { describeAwsError } from "../aws/aws-errors.js";
import type { DocumentRef, Failure } from "../store/failures.js";

/** A stored failure in words, for whoever is shown it (a thread, the API, the CLI). */
export function describeFailure(failure: Failure): string {
  switch (failure.code) {
    case "aws-refused":
      return `${STEP_PREFIX[failure.step ?? "none"]}${explainAws(failure.awsCode, failure.awsMessage)}`;
    case "invalidation-lost":
      return `I lost track of it: ${explainAws(failure.awsCode, failure.awsMessage)}`;
    case "changed-since-preview": {
      const what = failure.fields
        .map((f) => `${f.label} was ${f.previewed} in the preview and is ${f.now} now`)
        .join("; ");
      const doc = failure.document;
      const whose =
        doc.kind === "distribution"
          ? "the same settings"
          : doc.kind === "distribution-tenant"
            ? `tenant ${doc.name}`
            : doc.kind === "key-value-store"
              ? `the same keys of key-value store ${doc.name}`
              : doc.kind === "log-delivery"
                ? `the access log deliveries of ${doc.name}`
                : `${doc.kind === "response-headers-policy" ? "response headers" : "cache"} policy ${doc.name}`;
      return `Someone else changed ${whose} since the preview (${what}). Nothing was written; ask again to change it from the current settings.`;
    }
    case "policy-swapped-since-preview":
      return `Someone else changed the cache policy of ${failure.behavior === "default" ? "the default behaviour" : `behaviour ${failure.behavior}`} since the preview (it was ${failure.was}, it is ${failure.now} now). The copy ${failure.copy} was made but not used; ask again to change it from the current settings.`;
    case "policy-name-taken":
      return `Someone made a response headers policy named ${failure.name} since the preview. Nothing was created; choose another name.`;
    case "etag-kept-changing":
      return `${documentName(failure.document)} kept changing while I wrote (its ETag went stale twice). Nothing was written; try again in a moment.`;
    case "no-longer-applies":
      return failure.reason;
    case "staged-pulled-back":
      return failure.because === "breach"
        ? `Pulled back: ${failure.detail}. All traffic went back to the primary, which was never written.`
        : `Aborted: ${failure.detail}. All traffic went back to the primary, which was never written.`;
    case "staging-diverged":
      return `Not promoted: the primary or its staging copy changed since the change was staged (${failure.fields.join(", ")}). All traffic went back to the primary; ask again to stage the change from the current settings.`;
    case "template-gone":
      return `Template ${failure.template} (or its distribution ${failure.source}) is no longer in the config. Nothing was created.`;
  }
}

/**
 * Why a record failed, in words: from its failure code, or the sentence records written before
 * failures had codes kept (`error`).
 */
export function failureText(record: { failure?: Failure; error?: string }): string | undefined {
  return record.failure ? describeFailure(record.failure) : record.error;
}

/** A refusal from AWS as stored: its code and message, worded when shown. */
export function awsRefusal(error: unknown, step?: "create" | "disable" | "delete"): Failure {
  return { code: "aws-refused", ...(step ? { step } : {}), ...awsFacts(error) };
}

/** An invalidation CloudFront no longer answers for. */
export function invalidationLost(error: unknown): Failure {
  return { code: "invalidation-lost", ...awsFacts(error) };
}

function awsFacts(error: unknown): { awsCode: string; awsMessage?: string } {
  const message = (error as { message?: unknown } | null)?.message;
  return {
    awsCode: describeAwsError(error).code,
    ...(typeof message === "string" && message !== "" ? { awsMessage: message } : {}),
  };
}

const STEP_PREFIX: Record<"create" | "disable" | "delete" | "none", string> = {
  create: "CloudFront refused to create it: ",
  disable: "CloudFront refused to disable it, so it was not deleted: ",
  delete: "CloudFront refused to delete it (it stays disabled; ask again to delete it): ",
  none: "",
};

function explainAws(code: string, message: string | undefined): string {
  return describeAwsError({ name: code, ...(message ? { message } : {}) }).explanation;
}

function documentName(document: DocumentRef): string {
  if (document.kind === "distribution") return "The distribution";
  if (document.kind === "key-value-store") return `Key-value store ${document.name}`;
  if (document.kind === "log-delivery") return `The access log delivery of ${document.name}`;
  return document.kind === "distribution-tenant" ? `Tenant ${document.name}` : `Policy ${document.name}`;
}
