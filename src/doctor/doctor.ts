import { effectivePolicy } from "../approvals/policy.js";
import type { AccessLogGateway } from "../aws/access-log-calls.js";
import { describeAwsError } from "../aws/aws-errors.js";
import type { CloudFrontGateway, DistributionConfig } from "../aws/cloudfront-gateway.js";
import type { CloudWatchGateway } from "../aws/cloudwatch-gateway.js";
import type { TableProbe } from "../aws/dynamodb-table-probe.js";
import type { IdentityGateway } from "../aws/sts-gateway.js";
import type { WebAclGateway } from "../aws/waf-gateway.js";
import { iacOwnerOf } from "../changes/iac-ownership.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { IacManaged, PolicyConfig } from "../config/policy-schema.js";
import { bucketOfLoggingDomain } from "../logs/log-locations.js";
import type { SettingsCheck } from "./settings-check.js";
import { describeSlackStartupFailure } from "./slack-startup.js";

/** One line of the doctor's report: what was checked, whether it is fine, and if not what to do. */
export type DoctorRow = { check: string; ok: boolean; detail: string };

export type DoctorDeps = {
  /** The config and environment as start reads them (the same checks, the same words). */
  settings: SettingsCheck;
  /** Slack's `auth.test` with the bot token; absent when the environment has no usable token. */
  slack?: () => Promise<{ team: string; user: string; scopes: string[] }>;
  /** Where the bot reaches Slack's Web API, named when it cannot. */
  slackApiUrl: string;
  requiredScopes: Record<string, string>;
  identity: IdentityGateway;
  cloudfront: Pick<
    CloudFrontGateway,
    | "getDistribution"
    | "getDistributionTags"
    | "getDistributionConfig"
    | "listInvalidations"
    | "listDistributions"
    | "getCachePolicyConfig"
    | "getResponseHeadersPolicyConfig"
    | "listDistributionTenants"
    | "getDistributionTenant"
    | "describeKeyValueStore"
    | "getContinuousDeploymentPolicy"
  >;
  cloudwatch: CloudWatchGateway;
  /** AWS WAF, for the web ACLs `/cdn waf` may attach. */
  webAcls?: WebAclGateway;
  /** S3's log buckets: whether `/cdn logs` can read them, and legacy logging deliver to them. */
  accessLogs?: Pick<AccessLogGateway, "listLogObjects" | "bucketOwnership" | "bucketAclGrants">;
  /** The DynamoDB state table's probe, when the config keeps the state in one. */
  stateTable?: (table: string) => TableProbe;
  clock: () => number;
};

/**
 * Checks everything the bot needs before it is trusted with a workspace, by reading only: the config
 * and environment, the Slack token and its scopes, the AWS credentials, and for each distribution
 * every call its features make. Nothing is created or changed. The first checks are start's own
 * (`checkSettings`, and Slack's refusal in `describeSlackStartupFailure`'s words), so the doctor and
 * start never disagree about what is wrong.
 */
export async function runDoctor(deps: DoctorDeps): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [...deps.settings.rows];
  const row = (check: string, ok: boolean, detail: string) => rows.push({ check, ok, detail });

  // Slack is checked whenever there is a token to check, AWS always: a broken config hides neither.
  if (deps.slack) await checkSlack(deps, deps.slack, row);

  try {
    const me = await deps.identity.whoAmI();
    row("AWS credentials", true, `account ${me.account} as ${me.arn}`);
  } catch (error) {
    row("AWS credentials", false, describeCredentialFailure(error));
    return rows;
  }
  const config = deps.settings.config;
  if (!config) return rows;

  const table = config.store?.dynamodb?.table;
  if (table && deps.stateTable) await checkStateTable(deps.stateTable(table), row);

  const now = deps.clock();
  for (const [alias, d] of Object.entries(config.distributions))
    await checkDistribution(deps, alias, d, row, now);
  await checkEnvironmentTemplates(config, deps.cloudfront, row);
  // The web ACLs `/cdn waf` may attach: CloudFront reads each as the bot when it is attached.
  for (const arn of config.waf?.webAcls ?? []) {
    if (!deps.webAcls) break;
    const name = /\/webacl\/([^/]+)\//.exec(arn)?.[1] ?? arn;
    try {
      await deps.webAcls.getWebAcl(arn);
      row(`web ACL ${name} (wafv2:GetWebACL)`, true, "allowed");
    } catch (error) {
      row(`web ACL ${name} (wafv2:GetWebACL)`, false, describeAwsError(error).explanation);
    }
  }
  if (deps.accessLogs) await checkLogBuckets(config.accessLogs?.buckets ?? [], deps.accessLogs, row);
  // The key-value stores `/cdn kv` may use, through their data plane (signed with SigV4A).
  for (const [alias, store] of Object.entries(config.keyValueStores ?? {})) {
    const check = `key-value store ${alias} (DescribeKeyValueStore)`;
    try {
      const described = await deps.cloudfront.describeKeyValueStore(store.arn);
      row(check, true, `allowed, ${described.itemCount} key${described.itemCount === 1 ? "" : "s"}`);
    } catch (error) {
      row(check, false, describeAwsError(error).explanation);
    }
  }
  return rows;
}

type Row = (check: string, ok: boolean, detail: string) => void;

/** The Slack token, and the scopes the manifest asks for. */
async function checkSlack(
  deps: DoctorDeps,
  slack: NonNullable<DoctorDeps["slack"]>,
  row: Row,
): Promise<void> {
  try {
    const who = await slack();
    row("Slack token", true, `${who.team}, as @${who.user}`);
    const missing = Object.entries(deps.requiredScopes).filter(([scope]) => !who.scopes.includes(scope));
    row(
      "Slack scopes",
      missing.length === 0,
      missing.length === 0
        ? Object.keys(deps.requiredScopes).join(", ")
        : `missing ${missing.map(([scope, why]) => `${scope} (${why})`).join(", ")}: add them to the app (manifest.yml) and reinstall it`,
    );
  } catch (error) {
    row("Slack token", false, describeSlackStartupFailure(error, deps.slackApiUrl).message);
  }
}

/** Every call a distribution's features make, read-only; none past a distribution that cannot be read. */
async function checkDistribution(
  deps: DoctorDeps,
  alias: string,
  d: CdnbotConfig["distributions"][string],
  row: Row,
  now: number,
): Promise<void> {
  const probe = async (what: string, call: () => Promise<unknown>, hint = "") => {
    try {
      await call();
      row(`${alias} (${d.id}): ${what}`, true, "allowed");
      return true;
    } catch (error) {
      row(`${alias} (${d.id}): ${what}`, false, `${describeAwsError(error).explanation}${hint}`);
      return false;
    }
  };
  // A distribution that cannot be read at all makes every other line about it noise.
  const exists = await probe(
    d.roleArn ? `exists (GetDistribution as ${d.roleArn})` : "exists (GetDistribution)",
    () => deps.cloudfront.getDistribution(d.id),
    d.roleArn
      ? " The bot reaches it by assuming that role: check the role's trust policy (the bot's principal, " +
          "the external id) and its permissions."
      : "",
  );
  if (!exists) return;
  await probe("purge status (ListInvalidations)", () => deps.cloudfront.listInvalidations(d.id, 1));
  await checkIacOwner(deps, { alias, id: d.id, policy: d.policy }, row);
  let config: DistributionConfig | undefined;
  await probe("changes (GetDistributionConfig)", async () => {
    config = (await deps.cloudfront.getDistributionConfig(d.id)).config;
  });
  // TTLs that live in cache policies are changed there: each policy its behaviours use must be readable.
  const policyIds = [
    ...new Set(
      [config?.DefaultCacheBehavior, ...(config?.CacheBehaviors?.Items ?? [])].flatMap((b) =>
        b?.CachePolicyId ? [b.CachePolicyId] : [],
      ),
    ),
  ];
  if (policyIds.length > 0)
    await probe(`cache policies (GetCachePolicyConfig, ${policyIds.length})`, () =>
      Promise.all(policyIds.map((id) => deps.cloudfront.getCachePolicyConfig(id, d.id))),
    );
  const headersIds = [
    ...new Set(
      [config?.DefaultCacheBehavior, ...(config?.CacheBehaviors?.Items ?? [])].flatMap((b) =>
        b?.ResponseHeadersPolicyId ? [b.ResponseHeadersPolicyId] : [],
      ),
    ),
  ];
  if (headersIds.length > 0)
    await probe(`response headers policies (GetResponseHeadersPolicyConfig, ${headersIds.length})`, () =>
      Promise.all(headersIds.map((id) => deps.cloudfront.getResponseHeadersPolicyConfig(id, d.id))),
    );
  // A multi-tenant distribution's tenants are listed, read and purged one by one.
  if (config?.ConnectionMode === "tenant-only" || config?.TenantConfig || d.tenants) {
    let first: string | undefined;
    const listed = await probe("tenants (ListDistributionTenants)", async () => {
      first = (await deps.cloudfront.listDistributionTenants(d.id))[0]?.id;
    });
    if (listed && first)
      await probe("a tenant (GetDistributionTenant)", () =>
        deps.cloudfront.getDistributionTenant(first!, d.id),
      );
  }
  if (config) await checkStaging(deps, { alias, id: d.id }, config, row, probe);
  if (config?.Logging?.Enabled && config.Logging.Bucket && deps.accessLogs)
    await checkLegacyLogging(deps.accessLogs, { alias, id: d.id }, config.Logging, row);
  await probe("metrics (cloudwatch:GetMetricData)", () =>
    deps.cloudwatch.getDistributionMetrics(d.id, ["Requests"], {
      startMs: now - 3_600_000,
      endMs: now,
      periodSeconds: 3600,
    }),
  );
}

/**
 * Whether infrastructure as code owns the distribution (its tags, read as each change reads them),
 * and what its policy then does with a change from Slack.
 */
async function checkIacOwner(
  deps: DoctorDeps,
  d: { alias: string; id: string; policy?: PolicyConfig | undefined },
  row: Row,
): Promise<void> {
  const check = `${d.alias} (${d.id}): owner (ListTagsForResource)`;
  const config = deps.settings.config;
  try {
    const tags = await deps.cloudfront.getDistributionTags(d.id);
    const owner = iacOwnerOf(tags, config?.iac?.tags ?? []);
    const rule = effectivePolicy(config?.policy, d.policy).iacManaged;
    row(
      check,
      true,
      owner
        ? `managed by ${owner.tool} (tag ${owner.tag}); a change from Slack: ${IAC_RULE_WORDS[rule]}`
        : "no infrastructure-as-code tag: changed from here alone",
    );
  } catch (error) {
    row(check, false, describeAwsError(error).explanation);
  }
}

const IAC_RULE_WORDS: Record<IacManaged, string> = {
  warn: "warned that the next apply reverts it (iacManaged: warn)",
  "require-reason": "needs a reason (iacManaged: require-reason)",
  refuse: "refused (iacManaged: refuse)",
};

/** The canonical user of `awslogsdelivery`, which CloudFront's legacy logging writes as (AWS's docs). */
const LOG_DELIVERY_CANONICAL_ID = "c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0";

/**
 * Standard logging (legacy) writes with the bucket's ACL: on a bucket with ACLs disabled (Object
 * Ownership "bucket owner enforced", the default since April 2023) CloudFront refuses it, and
 * without the log delivery's grant no file arrives.
 */
async function checkLegacyLogging(
  logs: NonNullable<DoctorDeps["accessLogs"]>,
  d: { alias: string; id: string },
  logging: { Bucket?: string; Prefix?: string },
  row: Row,
): Promise<void> {
  const bucket = bucketOfLoggingDomain(logging.Bucket ?? "");
  const check = `${d.alias} (${d.id}): standard logging (legacy) to ${bucket}`;
  try {
    if ((await logs.bucketOwnership(bucket, d.id)) === "BucketOwnerEnforced") {
      row(
        check,
        false,
        "the bucket has ACLs disabled (Object Ownership: bucket owner enforced), which legacy logging needs: CloudFront delivers nothing there. Set its Object Ownership to bucket owner preferred, or log with logging v2 instead",
      );
      return;
    }
    const grants = await logs.bucketAclGrants(bucket, d.id);
    const delivery = grants.some(
      (g) => g.grantee === LOG_DELIVERY_CANONICAL_ID && g.permission === "FULL_CONTROL",
    );
    row(
      check,
      delivery,
      delivery
        ? "ACLs on, CloudFront's log delivery (awslogsdelivery) granted"
        : "its ACL does not grant CloudFront's log delivery (awslogsdelivery) FULL_CONTROL: CloudFront adds it when logging is turned on by someone allowed to change the ACL; until then no file arrives",
    );
  } catch (error) {
    row(check, false, describeAwsError(error).explanation);
  }
}

/** The buckets `/cdn logs` reads (`accessLogs.buckets`): each can be listed, and says what it takes. */
async function checkLogBuckets(
  buckets: readonly string[],
  logs: NonNullable<DoctorDeps["accessLogs"]>,
  row: Row,
): Promise<void> {
  for (const bucket of buckets) {
    const check = `log bucket ${bucket} (s3:ListBucket, GetBucketOwnershipControls)`;
    try {
      await logs.listLogObjects(bucket, { prefix: "", maxKeys: 1 });
      const ownership = await logs.bucketOwnership(bucket);
      row(
        check,
        true,
        ownership === "BucketOwnerEnforced"
          ? "readable; ACLs disabled: fine for logging v2, but standard logging (legacy) cannot deliver to it"
          : "readable; ACLs on: standard logging (legacy) and logging v2 can deliver to it",
      );
    } catch (error) {
      row(check, false, describeAwsError(error).explanation);
    }
  }
}

/**
 * Staged changes (`--staged`): whether CloudFront can stage the distribution at all, and, once it
 * has a continuous deployment policy, that the policy and its staging copy can be read. The copy
 * itself is made at the first staged change (CopyDistribution writes: it is not probed).
 */
async function checkStaging(
  deps: DoctorDeps,
  d: { alias: string; id: string },
  config: DistributionConfig,
  row: Row,
  probe: (what: string, call: () => Promise<unknown>) => Promise<boolean>,
): Promise<void> {
  const cannot = /3/.test(config.HttpVersion ?? "")
    ? "it serves HTTP/3"
    : config.ConnectionMode === "tenant-only"
      ? "it is multi-tenant"
      : undefined;
  if (cannot) {
    row(
      `${d.alias} (${d.id}): staged changes`,
      true,
      `not possible (${cannot}); \`--staged\` is refused for it`,
    );
    return;
  }
  const policyId = config.ContinuousDeploymentPolicyId;
  if (!policyId) {
    row(
      `${d.alias} (${d.id}): staged changes`,
      true,
      "possible; its staging copy is made at the first `--staged` change (CopyDistribution, not probed: it writes)",
    );
    return;
  }
  await probe("staged changes (GetContinuousDeploymentPolicyConfig)", () =>
    deps.cloudfront.getContinuousDeploymentPolicy(policyId, d.id),
  );
}

/**
 * Each environment template: its distribution is one the config has, and the account it makes
 * environments in can be counted against its quota (ListDistributions), with room left.
 */
async function checkEnvironmentTemplates(
  config: CdnbotConfig,
  cloudfront: Pick<CloudFrontGateway, "listDistributions">,
  row: (check: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const quota = config.environments?.distributionsQuota ?? 200;
  for (const [name, template] of Object.entries(config.environments?.templates ?? {})) {
    const source = config.distributions[template.from];
    if (!source) continue; // the config's own check refuses this before the doctor runs
    const check = `environment template ${name}: distributions in the account (ListDistributions)`;
    try {
      const count = (await cloudfront.listDistributions(source.id)).length;
      row(
        check,
        count < quota,
        count < quota
          ? `${count} of ${quota}`
          : `${count} of ${quota}: no room for an environment (raise the quota with AWS, then environments.distributionsQuota)`,
      );
    } catch (error) {
      row(check, false, describeAwsError(error).explanation);
    }
  }
}

/** The state table: there, keyed as the store keys it, and readable and writable with these credentials. */
async function checkStateTable(
  probe: TableProbe,
  row: (check: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const name = `State table ${probe.table}`;
  try {
    const keyed = await probe.hasStoreKeys();
    row(
      `${name}: exists (DescribeTable)`,
      keyed,
      keyed
        ? "keys pk and sk"
        : "its keys are not cdnbot's (pk and sk, both strings): name a new table, and the bot makes it at start",
    );
    if (!keyed) return;
  } catch (error) {
    const problem = describeAwsError(error);
    row(
      `${name}: exists (DescribeTable)`,
      false,
      problem.code === "ResourceNotFoundException"
        ? "missing: the bot makes it at first start when its credentials may, or run `npm run create-table`"
        : problem.explanation,
    );
    return;
  }
  for (const [what, call] of [
    ["read (Query)", () => probe.read()],
    ["write (PutItem, checked without writing)", () => probe.write()],
  ] as const) {
    try {
      await call();
      row(`${name}: ${what}`, true, "allowed");
    } catch (error) {
      row(`${name}: ${what}`, false, describeAwsError(error).explanation);
    }
  }
}

/**
 * Why STS would not say who the bot is: a network failure is named as one (it is no fault of the
 * credentials), a refusal points at the credentials the SDK found.
 */
function describeCredentialFailure(error: unknown): string {
  const problem = describeAwsError(error);
  if (problem.code === "CredentialsProviderError") return problem.explanation;
  if (problem.retryable)
    return `${problem.explanation} Check the network or proxy (and AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_STS if set); the credentials were not checked.`;
  return `${problem.explanation} Check the credentials the AWS SDK finds (AWS_ACCESS_KEY_ID, AWS_PROFILE or the instance role).`;
}

/** The report as a table for a terminal, and the verdict under it. */
export function formatDoctorReport(rows: DoctorRow[]): string {
  const width = Math.max(...rows.map((r) => r.check.length));
  const lines = rows.map((r) => `${r.ok ? "ok  " : "FIX "} ${r.check.padEnd(width)}  ${r.detail}`);
  const problems = rows.filter((r) => !r.ok).length;
  lines.push(
    "",
    problems === 0
      ? "Everything cdnbot needs is in place."
      : `${problems} problem${problems === 1 ? "" : "s"} to fix before cdnbot can be trusted with this workspace.`,
  );
  return `${lines.join("\n")}\n`;
}
