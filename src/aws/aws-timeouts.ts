/** How long one call to AWS may take before it counts as a transient failure. */
export type AwsTimeouts = { requestMs: number };

export const DEFAULT_AWS_TIMEOUTS: AwsTimeouts = { requestMs: 10_000 };

/**
 * Client options that bound every call: connecting, then waiting for the answer. A timed-out call
 * fails as `TimeoutError`, which the SDK retries (3 attempts in all) and the bot treats as transient,
 * so no call can hold the bot for longer than about three timeouts.
 */
export function awsClientTimeouts(timeouts: AwsTimeouts) {
  return {
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: Math.min(3_000, timeouts.requestMs),
      requestTimeout: timeouts.requestMs,
      // Without it, the handler only logs a warning and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}
