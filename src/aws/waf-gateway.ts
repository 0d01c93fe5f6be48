import { GetWebACLCommand, WAFV2Client } from "@aws-sdk/client-wafv2";
import { type AwsTimeouts, awsClientTimeouts, DEFAULT_AWS_TIMEOUTS } from "./aws-timeouts.js";

/** What the bot asks of AWS WAF: only whether it can read a web ACL it may attach. */
export interface WebAclGateway {
  /** The web ACL behind this ARN, read as CloudFront reads it when it is attached. */
  getWebAcl(arn: string): Promise<{ name: string; id: string }>;
}

const ARN = /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/([\w-]+)\/([\w-]+)$/;

/** CloudFront's web ACLs are global: they live in us-east-1, scope CLOUDFRONT. */
export function createWebAclGateway(timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS): WebAclGateway {
  const client = new WAFV2Client({ region: "us-east-1", ...awsClientTimeouts(timeouts) });
  return {
    async getWebAcl(arn) {
      const [, name = "", id = ""] = ARN.exec(arn) ?? [];
      const out = await client.send(new GetWebACLCommand({ Name: name, Id: id, Scope: "CLOUDFRONT" }));
      return { name: out.WebACL?.Name ?? name, id: out.WebACL?.Id ?? id };
    },
  };
}
