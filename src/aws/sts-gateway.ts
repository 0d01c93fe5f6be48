import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { type AwsTimeouts, awsClientTimeouts, DEFAULT_AWS_TIMEOUTS } from "./aws-timeouts.js";

export interface IdentityGateway {
  /** Who the configured credentials are (needs no permission: every principal may ask). */
  whoAmI(): Promise<{ account: string; arn: string }>;
}

export function createIdentityGateway(timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS): IdentityGateway {
  const client = new STSClient({ region: "us-east-1", ...awsClientTimeouts(timeouts) });
  return {
    async whoAmI() {
      const out = await client.send(new GetCallerIdentityCommand({}));
      return { account: out.Account ?? "?", arn: out.Arn ?? "?" };
    },
  };
}
