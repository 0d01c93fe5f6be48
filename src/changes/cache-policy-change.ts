import type { CachePolicyConfig, DistributionConfig } from "../aws/cloudfront-gateway.js";
import { UserError } from "../errors.js";
import type {
  CachePolicyCopy,
  CachePolicyTarget,
  ChangeSpec,
  FieldDiff,
  FieldWrite,
} from "../store/change-spec.js";
import { plural, quote } from "../text/plain-text.js";
import { behaviorNames, findBehavior } from "./config-fields.js";
import { checkTtls } from "./plan-change.js";

// A change whose fields live in a cache policy (a behaviour's TTLs, when it uses one): pure parts.

const POLICY_PATH = /^cachePolicy\[(.+?)\]\./;

/** The cache policy the writes go to, if they go to one; a change never writes two places. */
export function cachePolicyOf(writes: FieldWrite[]): string | undefined {
  const ids = new Set(writes.map((w) => POLICY_PATH.exec(w.path)?.[1]));
  if (ids.size > 1) throw new Error("a change writes to one distribution or one cache policy, not both");
  return [...ids][0];
}

/** The TTLs as they would be, in order, on the policy as it is now. */
export function checkPolicyTtls(config: CachePolicyConfig, spec: ChangeSpec): void {
  if (spec.kind === "ttl") checkTtls(config as unknown as Record<string, unknown>, spec);
}

/** The preview's labels name the policy people know, not its id. */
export function labelPolicyDiffs(diffs: FieldDiff[], policyId: string, name: string): FieldDiff[] {
  return diffs.map((d) => ({
    ...d,
    label: d.label.replace(` policy ${policyId}`, ` policy ${name}`),
  }));
}

/** The behaviours of one distribution's config that use the policy (a cache policy by default), by name. */
export function behaviorsUsing(
  config: DistributionConfig,
  policyId: string,
  field: "CachePolicyId" | "ResponseHeadersPolicyId" = "CachePolicyId",
): string[] {
  return behaviorNames(config).filter((name) => findBehavior(config, name)[field] === policyId);
}

/**
 * The blast radius in words: which of the bot's distributions and behaviours use the policy, and
 * how many others of the account do. Plain text (the message builders escape it).
 */
export function describeBlastRadius(policy: CachePolicyTarget): string {
  const mine = policy.usedBy.map((u) => `${u.alias} (${u.behaviors.join(", ")})`);
  const others = policy.distributionIds.filter((id) => !policy.usedBy.some((u) => u.distributionId === id));
  const parts = [
    ...mine,
    ...(others.length > 0 ? [`${plural(others.length, "other distribution")} in the account`] : []),
  ];
  const list =
    parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : (parts[0] ?? "nothing");
  const what = policy.kind === "response-headers" ? "Response headers policy" : "Cache policy";
  return `${what} ${quote(policy.name)} is used by ${list}: ${policy.distributionIds.length === 1 ? "it gets" : `all ${policy.distributionIds.length} get`} the new settings.`;
}

/** CloudFront's limit on a cache policy's name. */
const MAX_POLICY_NAME = 128;

/**
 * The copy a TTL change on a managed policy makes: named after the managed one and the change
 * (unique, and the same on a retry), with the TTLs the change asks for.
 */
export function planPolicyCopy(
  managed: CachePolicyConfig,
  from: { id: string; name: string },
  behavior: string,
  writes: FieldWrite[],
  changeId: string,
): Omit<CachePolicyCopy, "ttlDiffs"> {
  const after = { ...managed } as Record<string, unknown>;
  for (const w of writes) after[w.path.replace(POLICY_PATH, "")] = w.value;
  const base = from.name.replace(/^Managed-/, "").replace(/[^A-Za-z0-9_-]/g, "-");
  const suffix = `-cdnbot-${changeId}`;
  return {
    fromId: from.id,
    fromName: from.name,
    name: `${base.slice(0, MAX_POLICY_NAME - suffix.length)}${suffix}`,
    behavior: behavior === "*" ? "default" : behavior,
    ttl: {
      min: Number(after.MinTTL ?? 0),
      default: Number(after.DefaultTTL ?? 0),
      max: Number(after.MaxTTL ?? 0),
    },
  };
}

/** The copy's config: the managed policy's as it is now, with its own name, comment and TTLs. */
export function policyCopyConfig(
  managed: CachePolicyConfig,
  copy: Omit<CachePolicyCopy, "ttlDiffs">,
  changeId: string,
): CachePolicyConfig {
  return {
    ...structuredClone(managed),
    Name: copy.name,
    Comment: `A copy of ${copy.fromName} with other TTLs, made by cdnbot for change ${changeId}`.slice(
      0,
      128,
    ),
    MinTTL: copy.ttl.min,
    DefaultTTL: copy.ttl.default,
    MaxTTL: copy.ttl.max,
  };
}

/** The copy in words, for the preview (plain text). */
export function describePolicyCopy(copy: CachePolicyCopy): string {
  const ttls = copy.ttlDiffs.map(
    (d) => `${d.label.replace(/^cache policy .+? · /, "")} ${String(d.before)} → ${String(d.after)}`,
  );
  return `${quote(copy.fromName)} is managed by AWS and cannot change: this makes a copy of it, ${quote(copy.name)}, with ${ttls.join(", ")}, and points ${copy.behavior === "default" ? "the default behaviour" : `behaviour ${copy.behavior}`} at it. The managed policy and its other users are untouched.`;
}

/** A managed policy is AWS's and cannot be changed; said before anything is asked. */
export function refuseManaged(name: string, behavior: string, alias: string): never {
  throw new UserError(
    `${quote(behavior)} on ${quote(alias)} uses ${quote(name)}, a cache policy AWS manages: it cannot be changed. Point the behaviour at a custom policy with the TTLs you want (\`/cdn cache-policy ${alias} ${behavior} <policy-id>\`).`,
  );
}
