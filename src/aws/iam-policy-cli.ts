import { IAM_FEATURES, type IamFeature, iamPolicyDocument } from "./iam-policy.js";

export const IAM_POLICY_USAGE =
  "Usage: npm run iam-policy -- --account 123456789012 [--delivery-role <role-arn>] [--without changes,realtime-logs,metrics]";

export type IamPolicyArgs = { accountId: string; deliveryRoleArns: string[]; without: IamFeature[] };

/** The arguments of `npm run iam-policy`; a problem is thrown as one sentence with the usage. */
export function parseIamPolicyArgs(argv: string[]): IamPolicyArgs {
  const args: IamPolicyArgs = { accountId: "", deliveryRoleArns: [], without: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag !== "--account" && flag !== "--delivery-role" && flag !== "--without")
      throw new Error(`I don't know the argument ${flag}. ${IAM_POLICY_USAGE}`);
    if (value === undefined || value.startsWith("--"))
      throw new Error(`${flag} needs a value. ${IAM_POLICY_USAGE}`);
    i++;
    if (flag === "--account") {
      if (!/^\d{12}$/.test(value))
        throw new Error(`--account takes a 12-digit AWS account id, not ${value}.`);
      args.accountId = value;
    } else if (flag === "--delivery-role") {
      if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(value))
        throw new Error(`--delivery-role takes an IAM role ARN, not ${value}.`);
      args.deliveryRoleArns.push(value);
    } else {
      for (const name of value.split(",")) {
        if (!(IAM_FEATURES as readonly string[]).includes(name))
          throw new Error(`--without takes ${IAM_FEATURES.join(", ")}; ${name} is none of them.`);
        args.without.push(name as IamFeature);
      }
    }
  }
  if (!args.accountId)
    throw new Error(`Tell me the AWS account id the distributions live in. ${IAM_POLICY_USAGE}`);
  return args;
}

/** The policy for these distributions, as JSON to paste into Terraform or the console. */
export function formatIamPolicy(args: IamPolicyArgs, distributionIds: string[]): string {
  return `${JSON.stringify(
    iamPolicyDocument({
      accountId: args.accountId,
      distributionIds,
      deliveryRoleArns: args.deliveryRoleArns,
      without: args.without,
    }),
    null,
    2,
  )}\n`;
}
