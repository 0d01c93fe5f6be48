/**
 * The least privilege the bot needs, written down once: per feature, each action with the resource
 * it can be scoped to. The policy in docs/aws-permissions.md is generated from here, and a test checks that these are
 * exactly the calls the gateways make, so the two cannot drift.
 */
/** The features a policy can leave out (purges are the bot's core: always in). */
export const IAM_FEATURES = ["changes", "realtime-logs", "metrics", "staging", "access-logs"] as const;
export type IamFeature = (typeof IAM_FEATURES)[number];

export type PolicyStatement = {
  feature: string;
  /** Which feature needs it; purges and status need no switch. */
  switch?: IamFeature;
  actions: string[];
  /** Granted only where the config lists web ACLs (`waf.webAcls`): nothing to attach otherwise. */
  withWebAcls?: true;
  /** `distribution` scopes to the configured distributions; others are account-wide or a role. */
  scope:
    | "distribution"
    | "account"
    | "realtime-log-config"
    | "delivery-role"
    | "log-bucket"
    | "log-objects"
    | "log-delivery"
    | "log-delivery-write"
    | "log-group"
    | "environment"
    | "environment-listing"
    | "cache-policy"
    | "web-acl"
    | "distribution-tenant"
    | "key-value-store"
    | "response-headers-policy"
    | "staging-copy"
    | "continuous-deployment-policy";
};

export const IAM_STATEMENTS: PolicyStatement[] = [
  {
    feature: "Purges and status",
    actions: [
      "cloudfront:GetDistribution",
      "cloudfront:CreateInvalidation",
      "cloudfront:GetInvalidation",
      "cloudfront:ListInvalidations",
    ],
    scope: "distribution",
  },
  {
    // `/cdn tenants`: a multi-tenant distribution's tenants. Listing cannot be scoped to a resource.
    feature: "Tenants (listing)",
    actions: ["cloudfront:ListDistributionTenants"],
    scope: "account",
  },
  {
    feature: "Tenants",
    actions: [
      "cloudfront:GetDistributionTenant",
      "cloudfront:GetDistributionTenantByDomain",
      "cloudfront:CreateInvalidationForDistributionTenant",
      "cloudfront:GetInvalidationForDistributionTenant",
    ],
    scope: "distribution-tenant",
  },
  {
    // `/cdn enable|disable|params saas/acme`: a tenant's own settings, written with its ETag.
    feature: "Tenant changes",
    actions: ["cloudfront:UpdateDistributionTenant"],
    scope: "distribution-tenant",
    switch: "changes",
  },
  {
    // `/cdn waf saas/acme`: a tenant's own web ACL, through the tenant's web ACL API.
    feature: "Web ACLs on tenants",
    actions: [
      "cloudfront:AssociateDistributionTenantWebACL",
      "cloudfront:DisassociateDistributionTenantWebACL",
    ],
    scope: "distribution-tenant",
    switch: "changes",
    withWebAcls: true,
  },
  {
    feature: "Distribution changes",
    // Its tags say whether infrastructure as code owns it, read before each change's preview.
    actions: [
      "cloudfront:GetDistributionConfig",
      "cloudfront:UpdateDistribution",
      "cloudfront:ListTagsForResource",
    ],
    scope: "distribution",
    switch: "changes",
  },
  {
    // A behaviour's TTLs that live in a cache policy are changed there (any custom policy of the
    // account: which ones the behaviours use changes with every `/cdn cache-policy`); a managed
    // policy's are changed in a custom copy the bot creates.
    feature: "Cache policy changes",
    actions: [
      "cloudfront:GetCachePolicyConfig",
      "cloudfront:UpdateCachePolicy",
      "cloudfront:CreateCachePolicy",
    ],
    scope: "cache-policy",
    switch: "changes",
  },
  {
    // The blast radius of a policy change (who else uses it) and its deploy on every one of them;
    // these list calls cannot be scoped to a resource.
    feature: "Cache policy changes (blast radius)",
    actions: [
      "cloudfront:ListCachePolicies",
      "cloudfront:ListDistributionsByCachePolicyId",
      "cloudfront:ListDistributions",
    ],
    scope: "account",
    switch: "changes",
  },
  {
    feature: "Real-time log configs",
    actions: [
      "cloudfront:ListRealtimeLogConfigs",
      "cloudfront:CreateRealtimeLogConfig",
      "cloudfront:UpdateRealtimeLogConfig",
    ],
    scope: "realtime-log-config",
    switch: "realtime-logs",
  },
  {
    // CloudFront hands the delivery role to Kinesis: creating or updating a config passes it.
    feature: "Real-time log configs (delivery role)",
    actions: ["iam:PassRole"],
    scope: "delivery-role",
    switch: "realtime-logs",
  },
  {
    // Turning standard logging on, CloudFront adds its log delivery to the bucket's ACL as the
    // caller: the bot never calls S3 itself. Only the buckets `accessLogs.buckets` lists.
    feature: "Access logs",
    actions: ["s3:GetBucketAcl", "s3:PutBucketAcl"],
    scope: "log-bucket",
    switch: "changes",
  },
  {
    // `/cdn logs` reads the log files of the window, found by listing: the listed buckets only.
    feature: "Access log files (listing)",
    actions: ["s3:ListBucket"],
    scope: "log-bucket",
    switch: "access-logs",
  },
  {
    // The doctor: whether standard logging (legacy) can deliver to a bucket (ACLs on, and
    // CloudFront's log delivery granted in them).
    feature: "Access log buckets (doctor)",
    actions: ["s3:GetBucketOwnershipControls", "s3:GetBucketAcl"],
    scope: "log-bucket",
    switch: "access-logs",
  },
  {
    feature: "Access log files",
    actions: ["s3:GetObject"],
    scope: "log-objects",
    switch: "access-logs",
  },
  {
    // Where a distribution's logging v2 deliveries write: listing deliveries cannot be scoped.
    feature: "Access log deliveries (listing)",
    actions: ["logs:DescribeDeliveries"],
    scope: "account",
    switch: "access-logs",
  },
  {
    feature: "Access log deliveries",
    actions: ["logs:GetDeliverySource", "logs:GetDeliveryDestination"],
    scope: "log-delivery",
    switch: "access-logs",
  },
  {
    // `/cdn logs` on a delivery to CloudWatch Logs: Logs Insights queries, the listed groups only.
    feature: "Access log groups",
    actions: ["logs:StartQuery"],
    scope: "log-group",
    switch: "access-logs",
  },
  {
    feature: "Access log groups (results)",
    actions: ["logs:GetQueryResults"],
    scope: "account",
    switch: "access-logs",
  },
  {
    // `/cdn logging … on to=…` (logging v2): the distribution's delivery source, a destination,
    // the delivery between them; `off` deletes the delivery. CloudWatch Logs checks as the caller
    // that the distribution may vend its logs.
    feature: "Logging v2 deliveries",
    actions: [
      "logs:PutDeliverySource",
      "logs:PutDeliveryDestination",
      "logs:CreateDelivery",
      "logs:DeleteDelivery",
    ],
    scope: "log-delivery-write",
    switch: "changes",
  },
  {
    feature: "Logging v2 deliveries (distributions)",
    actions: ["cloudfront:AllowVendedLogDeliveryForResource"],
    scope: "distribution",
    switch: "changes",
  },
  {
    // A delivery to S3 needs the bucket's policy to let CloudWatch Logs' delivery write: CloudWatch
    // Logs adds that as the caller. Only the buckets `accessLogs.buckets` lists.
    feature: "Logging v2 deliveries (buckets)",
    actions: ["s3:GetBucketPolicy", "s3:PutBucketPolicy"],
    scope: "log-bucket",
    switch: "changes",
  },
  {
    // And to a log group, the account's resource policy for it: not scoped to a resource by AWS.
    feature: "Logging v2 deliveries (log groups)",
    actions: ["logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"],
    scope: "account",
    switch: "changes",
  },
  {
    // Environments get their ids when they are made, so these cannot name them in advance: any
    // distribution of the account. Only in the policy of a bot that has environment templates.
    feature: "Environment distributions",
    actions: [
      "cloudfront:CreateDistribution",
      "cloudfront:DeleteDistribution",
      "cloudfront:GetDistribution",
      "cloudfront:GetDistributionConfig",
      "cloudfront:UpdateDistribution",
      "cloudfront:CreateInvalidation",
      "cloudfront:GetInvalidation",
      "cloudfront:ListInvalidations",
    ],
    scope: "environment",
  },
  {
    // Counting the account's distributions against its quota, and finding one made before a crash.
    feature: "Environment distributions (listing)",
    actions: ["cloudfront:ListDistributions"],
    scope: "environment-listing",
  },
  {
    // `/cdn headers`: a policy named by its name is found among the account's (list calls cannot be
    // scoped), `show` reads the one a behaviour uses, `/cdn headers-policy` changes a custom one.
    feature: "Response headers policies",
    actions: [
      "cloudfront:GetResponseHeadersPolicyConfig",
      "cloudfront:UpdateResponseHeadersPolicy",
      "cloudfront:CreateResponseHeadersPolicy",
    ],
    scope: "response-headers-policy",
    switch: "changes",
  },
  {
    feature: "Response headers policies (listing)",
    actions: [
      "cloudfront:ListResponseHeadersPolicies",
      "cloudfront:ListDistributionsByResponseHeadersPolicyId",
    ],
    scope: "account",
    switch: "changes",
  },
  {
    // `/cdn waf` attaches and detaches through CloudFront's own web ACL API, on the distributions.
    feature: "Web ACLs on distributions",
    actions: ["cloudfront:AssociateDistributionWebACL", "cloudfront:DisassociateDistributionWebACL"],
    scope: "distribution",
    switch: "changes",
    withWebAcls: true,
  },
  {
    // Attaching a web ACL, CloudFront reads it as the caller: only the ACLs `waf.webAcls` lists.
    feature: "Web ACLs",
    actions: ["wafv2:GetWebACL"],
    scope: "web-acl",
    switch: "changes",
  },
  {
    // `/cdn kv`: the stores `keyValueStores` names, through the KeyValueStore data plane.
    feature: "Key-value stores",
    actions: [
      "cloudfront-keyvaluestore:DescribeKeyValueStore",
      "cloudfront-keyvaluestore:GetKey",
      "cloudfront-keyvaluestore:ListKeys",
      "cloudfront-keyvaluestore:UpdateKeys",
    ],
    scope: "key-value-store",
    switch: "changes",
  },
  {
    // Staged changes (`--staged`): the primary copied (CopyDistribution is authorised as
    // GetDistribution and CreateDistribution too) and promoted, on the configured distributions.
    feature: "Staged changes on the primaries",
    actions: ["cloudfront:CopyDistribution", "cloudfront:UpdateDistributionWithStagingConfig"],
    scope: "distribution",
    switch: "staging",
  },
  {
    // A staging copy gets its id when it is made, so this cannot name it in advance: any
    // distribution of the account. `--without staging` leaves staged changes (and this) out.
    feature: "Staged changes on staging copies",
    actions: [
      "cloudfront:CreateDistribution",
      "cloudfront:GetDistribution",
      "cloudfront:GetDistributionConfig",
      "cloudfront:UpdateDistribution",
    ],
    scope: "staging-copy",
    switch: "staging",
  },
  {
    feature: "Staged changes (continuous deployment policies)",
    actions: [
      "cloudfront:GetContinuousDeploymentPolicyConfig",
      "cloudfront:CreateContinuousDeploymentPolicy",
      "cloudfront:UpdateContinuousDeploymentPolicy",
    ],
    scope: "continuous-deployment-policy",
    switch: "staging",
  },
  {
    // CloudWatch's GetMetricData cannot be scoped to a resource.
    feature: "Metrics and alerts",
    actions: ["cloudwatch:GetMetricData"],
    scope: "account",
    switch: "metrics",
  },
];

/**
 * What keeping state in DynamoDB adds, on the one table (`store.dynamodb.table`). A transaction is
 * authorised as its parts: TransactWriteItems needs the Put, Update, Delete it holds.
 */
export const DYNAMODB_STORE_ACTIONS = [
  "dynamodb:DescribeTable",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:Query",
];
/** Making the table, once: at the bot's first start if it may, else `npm run create-table`. */
export const DYNAMODB_TABLE_SETUP_ACTIONS = ["dynamodb:CreateTable", "dynamodb:UpdateTimeToLive"];

export type PolicyTarget = {
  accountId: string;
  distributionIds: string[];
  deliveryRoleArns?: string[];
  /** Features left out: their statements are not in the policy. */
  without?: readonly IamFeature[];
  /** Roles in other accounts the bot assumes for the distributions living there. */
  assumeRoleArns?: string[];
  /** The S3 buckets access logs may go to (`accessLogs.buckets`). */
  logBuckets?: string[];
  /** The log groups access logs may go to and be queried in (`accessLogs.logGroups`). */
  logGroups?: string[];
  /** The DynamoDB table the bot keeps its state in, when it does. */
  dynamoDbTable?: string;
  /** The web ACLs `/cdn waf` may attach (`waf.webAcls`). */
  webAcls?: string[];
  /** The key-value stores `/cdn kv` may read and change (`keyValueStores`), by ARN. */
  keyValueStores?: string[];
  /** Whether the bot makes environment distributions in this account (`environments.templates`). */
  environments?: boolean;
};

function resources(scope: PolicyStatement["scope"], t: PolicyTarget): string | string[] {
  switch (scope) {
    case "distribution":
      return t.distributionIds.map((id) => `arn:aws:cloudfront::${t.accountId}:distribution/${id}`);
    case "realtime-log-config":
      return `arn:aws:cloudfront::${t.accountId}:realtime-log-config/*`;
    case "delivery-role":
      return t.deliveryRoleArns?.length ? t.deliveryRoleArns : `arn:aws:iam::${t.accountId}:role/*`;
    case "account":
      return "*";
    case "log-bucket":
      return (t.logBuckets ?? []).map((b) => `arn:aws:s3:::${b}`);
    case "log-objects":
      return (t.logBuckets ?? []).map((b) => `arn:aws:s3:::${b}/*`);
    case "log-group":
      return (t.logGroups ?? []).map((g) => `arn:aws:logs:us-east-1:${t.accountId}:log-group:${g}:*`);
    case "log-delivery-write":
      return [
        `arn:aws:logs:us-east-1:${t.accountId}:delivery-source:*`,
        `arn:aws:logs:us-east-1:${t.accountId}:delivery-destination:*`,
        `arn:aws:logs:us-east-1:${t.accountId}:delivery:*`,
      ];
    case "log-delivery":
      return [
        `arn:aws:logs:us-east-1:${t.accountId}:delivery-source:*`,
        `arn:aws:logs:us-east-1:${t.accountId}:delivery-destination:*`,
      ];
    case "environment":
      return `arn:aws:cloudfront::${t.accountId}:distribution/*`;
    case "environment-listing":
      return "*";
    case "web-acl":
      return t.webAcls ?? [];
    case "distribution-tenant":
      return `arn:aws:cloudfront::${t.accountId}:distribution-tenant/*`;
    case "key-value-store":
      return t.keyValueStores ?? [];
    case "response-headers-policy":
      return `arn:aws:cloudfront::${t.accountId}:response-headers-policy/*`;
    case "cache-policy":
      return `arn:aws:cloudfront::${t.accountId}:cache-policy/*`;
    case "staging-copy":
      return `arn:aws:cloudfront::${t.accountId}:distribution/*`;
    case "continuous-deployment-policy":
      return `arn:aws:cloudfront::${t.accountId}:continuous-deployment-policy/*`;
  }
}

/** The IAM policy document for these distributions, ready to paste. */
export function iamPolicyDocument(target: PolicyTarget) {
  const statements: object[] = IAM_STATEMENTS.filter(
    (s) =>
      (!s.switch || !target.without?.includes(s.switch)) &&
      // Every distribution may live in other accounts: nothing to grant on this one's.
      ((s.scope !== "distribution" && s.scope !== "staging-copy") || target.distributionIds.length > 0) &&
      // No bucket listed: logging cannot be turned on, and nothing is granted for it.
      ((s.scope !== "log-bucket" && s.scope !== "log-objects") || (target.logBuckets ?? []).length > 0) &&
      // No log group listed: nothing to query, and neither call is granted.
      ((s.scope !== "log-group" && s.feature !== "Access log groups (results)") ||
        (target.logGroups ?? []).length > 0) &&
      ((s.scope !== "web-acl" && !s.withWebAcls) || (target.webAcls ?? []).length > 0) &&
      (s.scope !== "key-value-store" || (target.keyValueStores ?? []).length > 0) &&
      ((s.scope !== "environment" && s.scope !== "environment-listing") || target.environments === true),
  ).map((s) => ({
    Sid: s.feature.replace(/[^A-Za-z0-9]/g, ""),
    Effect: "Allow",
    Action: s.actions,
    Resource: resources(s.scope, target),
    ...(s.scope === "delivery-role"
      ? { Condition: { StringEquals: { "iam:PassedToService": "cloudfront.amazonaws.com" } } }
      : {}),
  }));
  if (target.dynamoDbTable)
    statements.push({
      Sid: "Stateindynamodb",
      Effect: "Allow",
      Action: [...DYNAMODB_STORE_ACTIONS, ...DYNAMODB_TABLE_SETUP_ACTIONS],
      Resource: `arn:aws:dynamodb:*:${target.accountId}:table/${target.dynamoDbTable}`,
    });
  if (target.assumeRoleArns?.length)
    statements.push({
      Sid: "Distributionsinotheraccounts",
      Effect: "Allow",
      Action: ["sts:AssumeRole"],
      Resource: target.assumeRoleArns,
    });
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The trust policy of a role in another account: the bot's principal may assume it, and only by
 * naming the external id when one is configured (what stops another tenant's bot being sent there).
 */
export function trustPolicyDocument(principalArn: string, externalId?: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "cdnbot",
        Effect: "Allow",
        Principal: { AWS: principalArn },
        Action: "sts:AssumeRole",
        ...(externalId ? { Condition: { StringEquals: { "sts:ExternalId": externalId } } } : {}),
      },
    ],
  };
}

/** The account id in an ARN (its fifth field). */
export function accountOf(arn: string): string {
  return arn.split(":")[4] ?? "";
}
