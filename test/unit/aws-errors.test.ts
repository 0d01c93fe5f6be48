import { describe, expect, it } from "vitest";
import { describeAwsError } from "../../src/aws/aws-errors.js";

const sdkError = (name: string, message = "", status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, requestId: "rid-1" } });

describe("describeAwsError", () => {
  it.each([
    [
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
      /credentials are missing/,
      false,
    ],
    [
      sdkError("InvalidClientTokenId", "The security token included in the request is invalid.", 403),
      /refused the bot's credentials: the access key is unknown/,
      false,
    ],
    [sdkError("SignatureDoesNotMatch", "", 403), /secret key does not match/, false],
    [
      sdkError("AccessDenied", "User is not authorized", 403),
      /IAM identity is not allowed to do this/,
      false,
    ],
    [sdkError("TooManyInvalidationsInProgress"), /limit on invalidation paths in progress/, true],
    [sdkError("Throttling", "Rate exceeded"), /throttling/, true],
    [
      sdkError("InvalidArgument", "Your request contains one or more invalid invalidation paths."),
      /invalid: Your request contains one or more invalid invalidation paths/,
      false,
    ],
    [sdkError("NoSuchDistribution", "", 404), /no distribution with this id/, false],
    [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), /cannot reach AWS/, true],
    [sdkError("SomethingNew", "odd", 503), /AWS answered SomethingNew: odd/, true],
    [
      Object.assign(
        new Error(
          "Unexpected token < in JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.",
        ),
        { name: "SyntaxError", $metadata: { httpStatusCode: 502 } },
      ),
      /^AWS sent an answer the bot could not read \(HTTP 502\)\.$/,
      true,
    ],
  ])("explains %s", (error, words, retryable) => {
    const problem = describeAwsError(error);
    expect(problem.explanation).toMatch(words);
    expect(problem.retryable).toBe(retryable);
  });

  it("never promises a retry itself: the caller that retries says so", () => {
    for (const name of ["Throttling", "ServiceUnavailable", "InternalError"])
      expect(describeAwsError(sdkError(name, "", 503)).explanation).not.toMatch(/try again/);
  });

  it("keeps AWS's request id for the audit log", () => {
    expect(describeAwsError(sdkError("AccessDenied")).requestId).toBe("rid-1");
  });
});
