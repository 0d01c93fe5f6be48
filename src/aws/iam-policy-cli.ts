import {
  accountOf,
  IAM_FEATURES,
  type IamFeature,
  iamPolicyDocument,
  trustPolicyDocument,
} from "./iam-policy.js";

export const IAM_POLICY_USAGE =
  "Usage: npm run iam-policy -- --account 123456789012 [--delivery-role <role-arn>] [--without changes,realtime-logs,metrics,staging,access-logs]" +
  " | --role <role-arn> [--trust <bot-principal-arn>]";

export type IamPolicyArgs = {
  accountId: string;
  deliveryRoleArns: string[];
  without: IamFeature[];
  /** The policy for this role in another account instead of the bot's own. */
  roleArn?: string;
  /** With `roleArn`: the role's trust policy for this principal instead of its permissions. */
  trustPrincipalArn?: string;
};

/** A configured distribution as the policy needs it. */
export type PolicyDistribution = { id: string; roleArn?: string; externalId?: string };

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:.+$/;
const FLAGS = ["--account", "--delivery-role", "--without", "--role", "--trust"];

/** The arguments of `npm run iam-policy`; a problem is thrown as one sentence with the usage. */
export function parseIamPolicyArgs(argv: string[]): IamPolicyArgs {
  const args: IamPolicyArgs = { accountId: "", deliveryRoleArns: [], without: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    const value = argv[i + 1];
    if (!FLAGS.includes(flag)) throw new Error(`I don't know the argument ${flag}. ${IAM_POLICY_USAGE}`);
    if (value === undefined || value.startsWith("--"))
      throw new Error(`${flag} needs a value. ${IAM_POLICY_USAGE}`);
    i++;
    if (flag === "--account") {
      if (!/^\d{12}$/.test(value))
        throw new Error(`--account takes a 12-digit AWS account id, not ${value}.`);
      args.accountId = value;
    } else if (flag === "--delivery-role") {
      if (!ROLE_ARN.test(value)) throw new Error(`--delivery-role takes an IAM role ARN, not ${value}.`);
      args.deliveryRoleArns.push(value);
    } else if (flag === "--role") {
      if (!ROLE_ARN.test(value)) throw new Error(`--role takes an IAM role ARN, not ${value}.`);
      args.roleArn = value;
    } else if (flag === "--trust") {
      if (!PRINCIPAL_ARN.test(value))
        throw new Error(`--trust takes the ARN of the role or user the bot runs as, not ${value}.`);
      args.trustPrincipalArn = value;
    } else {
      for (const name of value.split(",")) {
        if (!(IAM_FEATURES as readonly string[]).includes(name))
          throw new Error(`--without takes ${IAM_FEATURES.join(", ")}; ${name} is none of them.`);
        args.without.push(name as IamFeature);
      }
    }
  }
  if (args.trustPrincipalArn && !args.roleArn)
    throw new Error(`--trust prints the trust policy of a role: name it with --role. ${IAM_POLICY_USAGE}`);
  if (!args.accountId && !args.roleArn)
    throw new Error(`Tell me the AWS account id the distributions live in. ${IAM_POLICY_USAGE}`);
  return args;
}

/**
 * The policy asked for, as JSON to paste into Terraform or the console: the bot's own (for the
 * distributions in its account, and the roles it assumes), a role's permissions in its account,
 * or a role's trust policy.
 */
export function formatIamPolicy(
  args: IamPolicyArgs,
  distributions: PolicyDistribution[],
  extras: {
    dynamoDbTable?: string | undefined;
    logBuckets?: string[] | undefined;
    logGroups?: string[] | undefined;
    webAcls?: string[] | undefined;
    /** The key-value stores' ARNs (in the bot's own account). */
    keyValueStores?: string[] | undefined;
    /** The ids of the distributions environment templates copy: environments are made in their accounts. */
    environmentSources?: string[] | undefined;
  } = {},
): string {
  const { dynamoDbTable } = extras;
  const logBuckets = {
    ...(extras.logBuckets?.length ? { logBuckets: extras.logBuckets } : {}),
    ...(extras.logGroups?.length ? { logGroups: extras.logGroups } : {}),
    ...(extras.webAcls?.length ? { webAcls: extras.webAcls } : {}),
  };
  const json = (document: object) => `${JSON.stringify(document, null, 2)}\n`;
  const roleArns = [...new Set(distributions.flatMap((d) => (d.roleArn ? [d.roleArn] : [])))];
  if (args.roleArn) {
    const served = distributions.filter((d) => d.roleArn === args.roleArn);
    const environments = served.some((d) => extras.environmentSources?.includes(d.id));
    if (served.length === 0)
      throw new Error(
        `No distribution in the config names the role ${args.roleArn}. ` +
          (roleArns.length ? `The roles it names: ${roleArns.join(", ")}.` : "It names no role."),
      );
    if (args.trustPrincipalArn)
      return json(trustPolicyDocument(args.trustPrincipalArn, served[0]?.externalId));
    return json(
      iamPolicyDocument({
        accountId: accountOf(args.roleArn),
        distributionIds: served.map((d) => d.id),
        deliveryRoleArns: args.deliveryRoleArns,
        // `/cdn realtime-logs` manages the bot's own account's configs only.
        without: [...new Set<IamFeature>([...args.without, "realtime-logs"])],
        // Logging turned on for its distributions: CloudFront sets the bucket's ACL as the role.
        ...logBuckets,
        ...(environments ? { environments } : {}),
      }),
    );
  }
  return json(
    iamPolicyDocument({
      accountId: args.accountId,
      distributionIds: distributions.filter((d) => !d.roleArn).map((d) => d.id),
      deliveryRoleArns: args.deliveryRoleArns,
      without: args.without,
      assumeRoleArns: roleArns,
      ...logBuckets,
      ...(extras.keyValueStores?.length ? { keyValueStores: extras.keyValueStores } : {}),
      ...(dynamoDbTable ? { dynamoDbTable } : {}),
      ...(distributions.some((d) => !d.roleArn && extras.environmentSources?.includes(d.id))
        ? { environments: true }
        : {}),
    }),
  );
}
