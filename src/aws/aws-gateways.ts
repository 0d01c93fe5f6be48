import type { AccessLogGateway } from "./access-log-calls.js";
import {
  type RoleLookup,
  routeByDistribution,
  routedAccessLogGateway,
  routedCloudFrontGateway,
  routedCloudWatchGateway,
} from "./account-routing.js";
import { type AssumedRole, assumedRoleCredentials, type RoleCredentials, roleKey } from "./assumed-role.js";
import type { AwsTimeouts } from "./aws-timeouts.js";
import {
  type CloudFrontGateway,
  createCloudFrontClient,
  createCloudFrontGateway,
} from "./cloudfront-gateway.js";
import { createKeyValueStoreClient } from "./cloudfront-kvs-calls.js";
import {
  type CloudWatchGateway,
  createCloudWatchClient,
  createCloudWatchGateway,
} from "./cloudwatch-gateway.js";
import { loadOnFirstCall } from "./load-on-first-call.js";
import { createIdentityGateway } from "./sts-gateway.js";

/**
 * The bot's CloudFront and CloudWatch gateways: the bot's own credentials for its own account, an
 * assumed role for each distribution that names one (keyed by distribution id).
 */
export type AwsGateways = {
  cloudfront: CloudFrontGateway;
  cloudwatch: CloudWatchGateway;
  /** S3's log files and CloudWatch Logs' deliveries, in the account of the distribution asked about. */
  accessLogs: AccessLogGateway;
};

export function createAwsGateways(
  timeouts: AwsTimeouts,
  roles: RoleLookup = { roleOf: () => undefined },
  /** Where the KeyValueStore data plane is reached, when not AWS's own endpoint. */
  keyValueStoreEndpoint?: string,
  /** S3 is reached at an endpoint of one's own (AWS_ENDPOINT_URL_S3), which serves paths. */
  s3PathStyle = false,
): AwsGateways {
  const providers = new Map<string, RoleCredentials>();
  const credentialsOf = (role: AssumedRole | undefined) => {
    if (!role) return undefined;
    let provider = providers.get(roleKey(role));
    if (!provider) {
      provider = assumedRoleCredentials(role, timeouts);
      providers.set(roleKey(role), provider);
    }
    return provider;
  };
  // The bot's own account, asked once (STS answers any principal); a role's is in its ARN.
  let ownAccount: Promise<string> | undefined;
  const accountOf = (role: AssumedRole | undefined) => (): Promise<string> => {
    if (role) return Promise.resolve(role.roleArn.split(":")[4] ?? "");
    const asking =
      ownAccount ??
      createIdentityGateway(timeouts)
        .whoAmI()
        .then((me) => me.account)
        .catch((error: unknown) => {
          ownAccount = undefined; // asked again next time
          throw error;
        });
    ownAccount = asking;
    return asking;
  };
  return {
    cloudfront: routedCloudFrontGateway(
      routeByDistribution(roles, (role) =>
        createCloudFrontGateway(
          createCloudFrontClient(timeouts, credentialsOf(role)),
          createKeyValueStoreClient(timeouts, credentialsOf(role), keyValueStoreEndpoint),
          accountOf(role),
        ),
      ),
    ),
    cloudwatch: routedCloudWatchGateway(
      routeByDistribution(roles, (role) =>
        createCloudWatchGateway(createCloudWatchClient(timeouts, credentialsOf(role))),
      ),
    ),
    // S3's and CloudWatch Logs' clients load with the first question about logs: a third of a
    // second of every start otherwise (the first AWS call loads this module), for a rare command.
    accessLogs: loadOnFirstCall<AccessLogGateway>(async () => {
      const { createAccessLogGateway, createCloudWatchLogsClient, createS3Client } = await import(
        "./access-log-calls.js"
      );
      return routedAccessLogGateway(
        routeByDistribution(roles, (role) =>
          createAccessLogGateway(
            createS3Client(timeouts, credentialsOf(role), s3PathStyle),
            createCloudWatchLogsClient(timeouts, credentialsOf(role)),
          ),
        ),
      );
    }),
  };
}
