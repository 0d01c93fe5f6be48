import { PAYLOADS, type PayloadName, shapeProblems } from "../aws/cloudfront-service-model.js";

/** The account the sandbox's distributions live in (AWS's documentation example account). */
export const SIMULATED_ACCOUNT = "123456789012";

let requests = 0;

/**
 * An error shaped as the AWS SDK throws it (`name` is AWS's error code, `$metadata` carries the
 * HTTP status and request id), so the bot's own error handling explains and retries it exactly as
 * it would a real one.
 */
export function awsError(code: string, message: string, httpStatusCode: number): Error {
  const error = new Error(message) as Error & {
    $metadata: { httpStatusCode: number; requestId: string };
    $fault: "client" | "server";
  };
  error.name = code;
  error.$metadata = { httpStatusCode, requestId: `sim-error-${++requests}` };
  error.$fault = httpStatusCode >= 500 ? "server" : "client";
  return error;
}

/**
 * A write of a versioned resource (a distribution, a policy) as AWS checks it: without If-Match it
 * is `InvalidIfMatchVersion`, with an ETag that is no longer the resource's, `PreconditionFailed`.
 */
export function refuseStaleIfMatch(ifMatch: string | undefined, etag: string): void {
  if (!ifMatch)
    throw awsError(
      "InvalidIfMatchVersion",
      "The If-Match version is missing or not valid for the resource.",
      400,
    );
  if (ifMatch !== etag)
    throw awsError(
      "PreconditionFailed",
      "The precondition given in one or more of the request-header fields evaluated to false.",
      412,
    );
}

/**
 * Refuses a request body as AWS does when it does not fit the service model: `InvalidArgument`,
 * naming each problem (AWS names the first; all of them helps a test say what went wrong).
 */
export function refuseMalformed(payload: PayloadName, value: unknown): void {
  const problems = shapeProblems(PAYLOADS[payload], value, payload);
  if (problems.length > 0)
    throw awsError(
      "InvalidArgument",
      `${problems.length} validation error${problems.length === 1 ? "" : "s"} detected: ${problems.join("; ")}`,
      400,
    );
}
