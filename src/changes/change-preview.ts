import { describeAwsError } from "../aws/aws-errors.js";
import type {
  CachePolicyConfig,
  DistributionConfig,
  ResponseHeadersPolicyConfig,
} from "../aws/cloudfront-gateway.js";
import { UserError } from "../errors.js";
import type {
  CachePolicyCopy,
  CachePolicyTarget,
  ChangeSpec,
  FieldDiff,
  FieldWrite,
  HeadersPolicyCreate,
  IacOwner,
} from "../store/change-spec.js";
import { quote } from "../text/plain-text.js";
import {
  behaviorsUsing,
  cachePolicyOf,
  checkPolicyTtls,
  labelPolicyDiffs,
  planPolicyCopy,
  refuseManaged,
} from "./cache-policy-change.js";
import type { ChangeDeps } from "./change-deps.js";
import { describePath } from "./config-fields.js";
import { hasLogDelivery, previewLogDelivery } from "./log-delivery.js";
import { compileChange, diffWrites } from "./plan-change.js";
import {
  compileHeadersPolicyChange,
  findHeadersPolicy,
  planHeadersPolicyCreate,
  resolveHeadersSpec,
} from "./response-headers.js";

/** What a preview reads: only the config, the gateways and the bot's distributions. */
type PreviewDeps = Pick<ChangeDeps, "cloudfront" | "config" | "directory" | "accessLogs">;

/** A distribution's config as it is now, or a refusal that says why it could not be read. */
export async function readConfig(
  deps: PreviewDeps,
  id: string,
): Promise<{ config: DistributionConfig; etag: string }> {
  try {
    return await deps.cloudfront.getDistributionConfig(id);
  } catch (error) {
    throw new UserError(`I could not read the config of ${id}: ${describeAwsError(error).explanation}`);
  }
}

/** A change previewed: the spec as stored (names resolved to ids), before → after, and where it writes. */
export type ChangePreview = {
  spec: ChangeSpec;
  diffs: FieldDiff[];
  policy?: CachePolicyTarget;
  policyCopy?: CachePolicyCopy;
  policyCreate?: HeadersPolicyCreate;
  /** A tenant's change: the tenant it writes (its fields are the tenant's, not the distribution's). */
  tenant?: { name: string; id: string };
  /** A key-value store's change: the store whose keys it writes. */
  keyValueStore?: { arn: string };
  /** A logging v2 change: it writes the distribution's access log delivery, in CloudWatch Logs. */
  logDelivery?: true;
  /** Infrastructure as code owns the distribution (its tags say so). */
  iac?: IacOwner;
};

/**
 * Reads what the change touches and says what it would do, wherever its fields live: the
 * distribution, a cache policy (or a copy of a managed one), a response headers policy (changed or
 * made). Nothing is written.
 */
export async function previewChange(
  deps: PreviewDeps,
  target: { alias: string; id: string },
  asked: ChangeSpec,
  config: DistributionConfig,
  changeId: string,
): Promise<ChangePreview> {
  if (
    asked.kind === "log-delivery" ||
    (asked.kind === "rollback" && asked.writes[0]?.path.startsWith("delivery."))
  )
    return previewDeliveryChange(deps, target, asked, config, changeId);
  // A response headers policy may be named by its name: the change stores its id.
  const { spec, policyName } = await resolveHeadersSpec(deps, target.id, asked);
  if (spec.kind === "headers-policy") return previewHeadersPolicyUpdate(deps, target, spec, config);
  if (spec.kind === "headers-policy-create") return previewHeadersPolicyCreate(deps, target, spec);
  const headersPolicyId =
    spec.kind === "rollback" ? /^headersPolicy\[(.+?)\]\./.exec(spec.writes[0]?.path ?? "")?.[1] : undefined;
  if (spec.kind === "rollback" && headersPolicyId) {
    // The rollback of a response headers policy's change goes back to that policy.
    const { diffs, policyTarget } = await previewHeadersPolicyWrites(
      deps,
      target,
      headersPolicyId,
      config,
      () => spec.writes,
    );
    return { spec, diffs, policy: policyTarget };
  }
  const writes = compileChange(spec, config);
  const policyId = cachePolicyOf(writes);
  if (policyId)
    return {
      spec,
      ...(await previewPolicyChange(deps, { target, spec, writes, policyId, config, changeId })),
    };
  const diffs = diffWrites(config, writes).map((d) =>
    policyName ? { ...d, label: `${d.label}, to ${policyName}` } : d,
  );
  return { spec, diffs };
}

/**
 * Logging v2 (`/cdn logging … on to=…`): the distribution's delivery, before → after. `off` turns off
 * what is on: the v2 delivery where there is one, else standard logging (legacy) in the config.
 */
async function previewDeliveryChange(
  deps: PreviewDeps,
  target: { alias: string; id: string },
  spec: ChangeSpec,
  config: DistributionConfig,
  changeId: string,
): Promise<ChangePreview> {
  if (
    spec.kind === "log-delivery" &&
    spec.destination === null &&
    config.Logging?.Enabled &&
    !(await hasLogDelivery(deps, target.id))
  )
    return previewChange(deps, target, { kind: "logging", enabled: false }, config, changeId);
  return { spec, diffs: await previewLogDelivery(deps, target.id, spec), logDelivery: true };
}

/** The account's response headers policies, or why they could not be read. */
async function headersPolicies(deps: PreviewDeps, likeDistributionId: string) {
  try {
    return await deps.cloudfront.listResponseHeadersPolicies(likeDistributionId);
  } catch (error) {
    throw new UserError(
      `I could not list the response headers policies: ${describeAwsError(error).explanation}`,
    );
  }
}

/**
 * `/cdn headers-policy`: a change to a custom response headers policy, previewed against the policy
 * with its blast radius, then asked for and written like any change (to the policy, with its ETag).
 */
async function previewHeadersPolicyUpdate(
  deps: PreviewDeps,
  target: { alias: string; id: string },
  spec: Extract<ChangeSpec, { kind: "headers-policy" }>,
  config: DistributionConfig,
): Promise<ChangePreview> {
  const named = findHeadersPolicy(await headersPolicies(deps, target.id), spec.policy);
  if (named.managed)
    throw new UserError(
      `${quote(named.name)} is managed by AWS and cannot change. Attach a custom policy with the headers you want (\`/cdn headers ${target.alias} <policy>\`).`,
    );
  const resolved = { ...spec, policy: named.id };
  const { diffs, policyTarget } = await previewHeadersPolicyWrites(
    deps,
    target,
    named.id,
    config,
    (policyConfig) => compileHeadersPolicyChange(resolved, named.id, policyConfig),
  );
  return { spec: resolved, diffs, policy: policyTarget };
}

/** `/cdn headers-policy … create`: a new policy of a free name, its headers shown as they will be. */
async function previewHeadersPolicyCreate(
  deps: PreviewDeps,
  target: { alias: string; id: string },
  spec: Extract<ChangeSpec, { kind: "headers-policy-create" }>,
): Promise<ChangePreview> {
  const taken = (await headersPolicies(deps, target.id)).some(
    (p) => p.name.toLowerCase() === spec.name.toLowerCase(),
  );
  if (taken)
    throw new UserError(
      `There is already a response headers policy ${quote(spec.name)}: change it with \`/cdn headers-policy ${target.alias} ${spec.name} …\`.`,
    );
  const plan = planHeadersPolicyCreate(spec);
  const diffs = diffWrites({ Name: spec.name }, plan.writes).map((d) => ({
    ...d,
    label: d.label.replace(/^response headers policy .+? · /, `new response headers policy ${spec.name} · `),
  }));
  return {
    spec,
    diffs,
    policyCreate: { name: spec.name, config: plan.config as unknown as Record<string, unknown> },
  };
}

/**
 * A response headers policy's writes previewed: read the policy (for its values, name and ETag-free
 * view), before → after, and its blast radius (`ListDistributionsByResponseHeadersPolicyId`).
 */
async function previewHeadersPolicyWrites(
  deps: PreviewDeps,
  target: { alias: string; id: string },
  policyId: string,
  config: DistributionConfig,
  compile: (policy: ResponseHeadersPolicyConfig) => FieldWrite[],
): Promise<{ diffs: FieldDiff[]; policyTarget: CachePolicyTarget }> {
  let policyConfig: ResponseHeadersPolicyConfig;
  let distributionIds: string[];
  try {
    [{ config: policyConfig }, distributionIds] = await Promise.all([
      deps.cloudfront.getResponseHeadersPolicyConfig(policyId, target.id),
      deps.cloudfront.listDistributionsByResponseHeadersPolicy(policyId, target.id),
    ]);
  } catch (error) {
    throw new UserError(
      `I could not read response headers policy ${policyId}: ${describeAwsError(error).explanation}`,
    );
  }
  const name = policyConfig.Name ?? policyId;
  const diffs = labelPolicyDiffs(diffWrites(policyConfig, compile(policyConfig)), policyId, name);
  if (diffs.length === 0)
    throw new UserError(
      `This changes nothing: ${quote(name)} already sends these headers. Nothing was sent.`,
    );
  const usedBy = await usersOf(deps, target, config, distributionIds, (theirs) =>
    behaviorsUsing(theirs, policyId, "ResponseHeadersPolicyId"),
  );
  return { diffs, policyTarget: { kind: "response-headers", id: policyId, name, usedBy, distributionIds } };
}

/**
 * The preview of a change whose fields live in a cache policy: the policy's values before → after,
 * checked against the policy as it is, and its blast radius: the bot's distributions and behaviours
 * that use it, and every distribution of the account that does (`ListDistributionsByCachePolicyId`).
 */
async function previewPolicyChange(
  deps: PreviewDeps,
  asked: {
    target: { alias: string; id: string };
    spec: ChangeSpec;
    writes: FieldWrite[];
    policyId: string;
    config: DistributionConfig;
    changeId: string;
  },
): Promise<{ diffs: FieldDiff[]; policy?: CachePolicyTarget; policyCopy?: CachePolicyCopy }> {
  const { target, spec, writes, policyId, config } = asked;
  let policyConfig: CachePolicyConfig;
  let managed: string[];
  try {
    [{ config: policyConfig }, managed] = await Promise.all([
      deps.cloudfront.getCachePolicyConfig(policyId, target.id),
      deps.cloudfront.listManagedCachePolicyIds(target.id),
    ]);
  } catch (error) {
    throw new UserError(`I could not read cache policy ${policyId}: ${describeAwsError(error).explanation}`);
  }
  const name = policyConfig.Name ?? policyId;
  checkPolicyTtls(policyConfig, spec);
  const ttlDiffs = labelPolicyDiffs(diffWrites(policyConfig, writes), policyId, name);
  if (managed.includes(policyId)) {
    // AWS's own policy cannot change: this behaviour gets a custom copy with the new TTLs instead.
    if (spec.kind !== "ttl")
      refuseManaged(name, behaviorsUsing(config, policyId)[0] ?? "default", target.alias);
    if (ttlDiffs.length === 0) return { diffs: [] };
    const copy = planPolicyCopy(policyConfig, { id: policyId, name }, spec.behavior, writes, asked.changeId);
    return {
      diffs: [
        {
          path: `behavior[${spec.behavior === "*" ? "default" : spec.behavior}].CachePolicyId`,
          label: describePath(`behavior[${spec.behavior === "*" ? "default" : spec.behavior}].CachePolicyId`),
          before: policyId,
          after: copy.name,
        },
      ],
      policyCopy: { ...copy, ttlDiffs },
    };
  }
  let distributionIds: string[];
  try {
    distributionIds = await deps.cloudfront.listDistributionsByCachePolicy(policyId, target.id);
  } catch (error) {
    throw new UserError(
      `I could not read who uses cache policy ${name}: ${describeAwsError(error).explanation}`,
    );
  }
  const usedBy = await usersOf(deps, target, config, distributionIds, (theirs) =>
    behaviorsUsing(theirs, policyId),
  );
  return { diffs: ttlDiffs, policy: { kind: "cache", id: policyId, name, usedBy, distributionIds } };
}

/**
 * A policy's blast radius among the bot's own distributions: each one using it, with the behaviours
 * that do (the target's config is the one already read; the others are read now).
 */
async function usersOf(
  deps: PreviewDeps,
  target: { id: string },
  config: DistributionConfig,
  distributionIds: string[],
  behaviors: (config: DistributionConfig) => string[],
): Promise<CachePolicyTarget["usedBy"]> {
  const usedBy: CachePolicyTarget["usedBy"] = [];
  for (const d of deps.directory.list()) {
    if (!distributionIds.includes(d.id)) continue;
    const theirs = d.id === target.id ? config : (await readConfig(deps, d.id)).config;
    usedBy.push({ alias: d.alias, distributionId: d.id, behaviors: behaviors(theirs) });
  }
  return usedBy;
}
