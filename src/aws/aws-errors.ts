/** An AWS failure put in words a person in Slack can act on. */
export type AwsProblem = {
  code: string;
  /** What went wrong and what to do about it, for the person in Slack. */
  explanation: string;
  /** Worth trying again later without anyone changing anything. */
  retryable: boolean;
  requestId?: string;
};

type SdkLikeError = {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { requestId?: string; httpStatusCode?: number };
  $retryable?: unknown;
  $response?: { statusCode?: number };
};

const EXPLANATIONS: Record<string, { text: string; retryable: boolean }> = {
  CredentialsProviderError: {
    text: "AWS credentials are missing: the bot found none in its environment. An operator must configure them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role).",
    retryable: false,
  },
  AccessDenied: {
    text: "AWS refused: the bot's IAM identity is not allowed to do this. An operator must grant the permission (see docs/aws-permissions.md).",
    retryable: false,
  },
  AccessDeniedException: {
    text: "AWS refused: the bot's IAM identity is not allowed to do this. An operator must grant the permission (see docs/aws-permissions.md).",
    retryable: false,
  },
  InvalidClientTokenId: {
    text: "AWS refused the bot's credentials: the access key is unknown or disabled. An operator must fix the credentials.",
    retryable: false,
  },
  UnrecognizedClientException: {
    text: "AWS refused the bot's credentials: the access key is unknown or disabled. An operator must fix the credentials.",
    retryable: false,
  },
  SignatureDoesNotMatch: {
    text: "AWS refused the bot's credentials: the secret key does not match the access key. An operator must fix the credentials.",
    retryable: false,
  },
  ExpiredToken: {
    text: "AWS refused the bot's credentials: the session token has expired. An operator must refresh them.",
    retryable: false,
  },
  NoSuchDistribution: {
    text: "CloudFront has no distribution with this id in the bot's AWS account. Check the id in the config file.",
    retryable: false,
  },
  NoSuchInvalidation: {
    text: "CloudFront has no invalidation with this id for this distribution.",
    retryable: false,
  },
  TooManyInvalidationsInProgress: {
    text: "CloudFront's limit on invalidation paths in progress for this distribution is reached (3,000 file paths or 15 wildcard paths). Wait for running invalidations to complete, or purge with a wildcard.",
    retryable: true,
  },
  BatchTooLarge: {
    text: "CloudFront refused the invalidation: it has more paths than one invalidation may hold (3,000).",
    retryable: false,
  },
  InvalidArgument: {
    text: "CloudFront refused the request as invalid",
    retryable: false,
  },
  Throttling: { text: "AWS is throttling the bot's requests.", retryable: true },
  ThrottlingException: {
    text: "AWS is throttling the bot's requests.",
    retryable: true,
  },
  TooManyRequestsException: {
    text: "AWS is throttling the bot's requests.",
    retryable: true,
  },
  ServiceUnavailable: {
    text: "CloudFront is unavailable right now.",
    retryable: true,
  },
  InternalError: { text: "CloudFront had an internal error.", retryable: true },
  PreconditionFailed: {
    text: "Someone else changed this distribution at the same time (its ETag changed).",
    retryable: false,
  },
  DistributionNotDisabled: {
    text: "CloudFront deletes a distribution only once it is disabled and that is Deployed.",
    retryable: true,
  },
  TooManyDistributions: {
    text: "The AWS account has as many distributions as its quota allows. Delete one, or ask AWS to raise the quota (and set `environments.distributionsQuota`).",
    retryable: false,
  },
  WAFFeatureNotIncludedInPricingPlanException: {
    text: "The distribution's CloudFront pricing plan does not include this AWS WAF feature. Choose a plan that does (in the CloudFront console, the distribution's pricing plan), or use a web ACL without that feature.",
    retryable: false,
  },
  EntityLimitExceeded: {
    text: "An AWS limit on this kind of resource is reached (for a web ACL, the distributions it may protect). Free one, or ask AWS for a higher quota.",
    retryable: false,
  },
  CNAMEAlreadyExists: {
    text: "Another distribution already serves this alias; CloudFront lets one alias point at one distribution.",
    retryable: false,
  },
  // CloudFront KeyValueStore's data plane.
  ResourceNotFoundException: {
    text: "There is no such key-value store (check its ARN in the config), or no such key in it.",
    retryable: false,
  },
  ServiceQuotaExceededException: {
    text: "The key-value store is full: CloudFront allows 5 MB of keys and values in a store. Delete keys first.",
    retryable: false,
  },
  ValidationException: {
    text: "CloudFront refused the keys or values (a key is 1 to 512 bytes, a value at most 1 KB)",
    retryable: false,
  },
  InvalidViewerCertificate: {
    text: "CloudFront refused the template's certificate for this alias: it must be an ACM certificate in us-east-1 that covers the alias.",
    retryable: false,
  },
};

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "ETIMEDOUT",
  "ECONNRESET",
  "EAI_AGAIN",
  "TimeoutError",
]);

export function describeAwsError(error: unknown): AwsProblem {
  const err = (typeof error === "object" && error !== null ? error : {}) as SdkLikeError;
  const code = err.name && err.name !== "Error" ? err.name : (err.code ?? "UnknownError");
  const requestId = err.$metadata?.requestId;
  const withId = <T extends object>(p: T) => (requestId ? { ...p, requestId } : p);
  const known = EXPLANATIONS[code];
  if (known) {
    // InvalidArgument's own message says which argument; keep it.
    const text =
      (code === "InvalidArgument" || code === "ValidationException") && err.message
        ? `${known.text}: ${err.message}`
        : known.text;
    return withId({ code, explanation: text, retryable: known.retryable });
  }
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(err.code ?? "")) {
    return withId({
      code,
      explanation: "The bot cannot reach AWS right now (network error).",
      retryable: true,
    });
  }
  const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
  // The SDK could not parse AWS's answer (a proxy's HTML page, a cut-off body): its own words about
  // hidden fields help nobody in Slack.
  if (/deserialization error|hidden field/i.test(err.message ?? "")) {
    return withId({
      code: "UnreadableResponse",
      explanation: `AWS sent an answer the bot could not read${status ? ` (HTTP ${status})` : ""}.`,
      retryable: status === undefined || status >= 500,
    });
  }
  return withId({
    code,
    explanation: `AWS answered ${code}${err.message ? `: ${err.message}` : ""}`,
    retryable: status !== undefined && status >= 500,
  });
}

/**
 * A KeyValueStore answers a write whose If-Match is stale with ConflictException: the same as a
 * stale ETag anywhere else (PreconditionFailed), so the write is read and decided again like any
 * other document's. Any other error is returned as it is.
 */
export function asStaleEtag(error: unknown): unknown {
  if ((error as Error | undefined)?.name !== "ConflictException") return error;
  return Object.assign(new Error((error as Error).message), {
    name: "PreconditionFailed",
    $metadata: (error as SdkLikeError).$metadata,
  });
}
