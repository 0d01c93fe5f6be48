import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { type AwsTimeouts, awsClientTimeouts } from "./aws-timeouts.js";

export type RoleCredentials = ReturnType<typeof fromTemporaryCredentials>;

/** A role in another AWS account that the bot assumes to act on the distributions living there. */
export type AssumedRole = { roleArn: string; externalId?: string };

/** Shown in the other account's CloudTrail as the session that made each call. */
export const ROLE_SESSION_NAME = "cdnbot";

/** One hour: AWS's default and the longest a role allows unless its owner raised the maximum. */
const SESSION_SECONDS = 3600;

/**
 * Credentials of `role`, from STS with the bot's own credentials. The SDK caches them in the client
 * they are given to and asks STS again five minutes before they expire, so a long-running bot never
 * signs a call with credentials about to lapse, and does not call STS on every request.
 */
export function assumedRoleCredentials(role: AssumedRole, timeouts: AwsTimeouts): RoleCredentials {
  return fromTemporaryCredentials({
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: ROLE_SESSION_NAME,
      DurationSeconds: SESSION_SECONDS,
      ...(role.externalId ? { ExternalId: role.externalId } : {}),
    },
    // The STS call is bounded like every other call to AWS.
    clientConfig: awsClientTimeouts(timeouts),
  });
}

/** The key under which clients for the same role (and external id) are shared. */
export function roleKey(role: AssumedRole): string {
  return `${role.roleArn}\n${role.externalId ?? ""}`;
}
