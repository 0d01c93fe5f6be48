import { describeAwsError } from "../aws/aws-errors.js";
import type {
  CloudFrontGateway,
  ResponseHeadersPolicyConfig,
  ResponseHeadersPolicySummary,
} from "../aws/cloudfront-gateway.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import { UserError } from "../errors.js";
import type { ChangeSpec, FieldWrite } from "../store/change-spec.js";
import { quote } from "../text/plain-text.js";
import { findBehavior } from "./config-fields.js";
import { applyWrites, UUID } from "./plan-change.js";

type Deps = { directory: DistributionDirectory; cloudfront: CloudFrontGateway };

/** The policy a person named, by id or by name (`Managed-SecurityHeadersPolicy`), among the account's. */
export function findHeadersPolicy(
  policies: readonly ResponseHeadersPolicySummary[],
  idOrName: string,
): ResponseHeadersPolicySummary {
  const found =
    policies.find((p) => p.id === idOrName.toLowerCase()) ??
    policies.find((p) => p.name.toLowerCase() === idOrName.toLowerCase());
  if (found) return found;
  const names = policies.map((p) => quote(p.name)).join(", ");
  throw new UserError(
    `There is no response headers policy ${quote(idOrName.slice(0, 100))}${UUID.test(idOrName) ? "" : " by that name"}. The account's: ${names || "none"}.`,
  );
}

/**
 * A `/cdn headers` change names its policy by id or name; the stored change holds the id, read from
 * the account's policies now (so an approval shows, and a rollback restores, exactly that policy).
 */
export async function resolveHeadersSpec(
  deps: Deps,
  distributionId: string,
  spec: ChangeSpec,
): Promise<{ spec: ChangeSpec; policyName?: string }> {
  if (spec.kind !== "response-headers-policy" || spec.responseHeadersPolicyId === null) return { spec };
  let policies: ResponseHeadersPolicySummary[];
  try {
    policies = await deps.cloudfront.listResponseHeadersPolicies(distributionId);
  } catch (error) {
    throw new UserError(
      `I could not list the response headers policies: ${describeAwsError(error).explanation}`,
    );
  }
  const policy = findHeadersPolicy(policies, spec.responseHeadersPolicyId);
  return { spec: { ...spec, responseHeadersPolicyId: policy.id }, policyName: policy.name };
}

export type HeadersView = {
  alias: string;
  id: string;
  behavior: string;
  policy?: { id: string; config: ResponseHeadersPolicyConfig };
};

/** `/cdn headers <distribution> show [behaviour]`: the policy a behaviour's responses get, read now. */
export async function showHeaders(deps: Deps, nameOrId: string, behavior = "default"): Promise<HeadersView> {
  const target = deps.directory.resolve(nameOrId);
  try {
    const { config } = await deps.cloudfront.getDistributionConfig(target.id);
    const policyId = findBehavior(config, behavior).ResponseHeadersPolicyId;
    const view = { alias: target.alias, id: target.id, behavior };
    if (typeof policyId !== "string" || !policyId) return view;
    const { config: policy } = await deps.cloudfront.getResponseHeadersPolicyConfig(policyId, target.id);
    return { ...view, policy: { id: policyId, config: policy } };
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`I could not read ${target.alias}'s headers: ${describeAwsError(error).explanation}`);
  }
}

/** The headers a policy adds, one line each, as plain text (escape to show). */
export function describeHeaders(config: ResponseHeadersPolicyConfig): string[] {
  const s = config.SecurityHeadersConfig;
  const lines: string[] = [];
  const sts = s?.StrictTransportSecurity;
  if (sts)
    lines.push(
      `Strict-Transport-Security: max-age=${sts.AccessControlMaxAgeSec}${sts.IncludeSubdomains ? "; includeSubDomains" : ""}${sts.Preload ? "; preload" : ""}`,
    );
  if (s?.ContentSecurityPolicy)
    lines.push(`Content-Security-Policy: ${s.ContentSecurityPolicy.ContentSecurityPolicy}`);
  if (s?.FrameOptions) lines.push(`X-Frame-Options: ${s.FrameOptions.FrameOption}`);
  if (s?.ContentTypeOptions) lines.push("X-Content-Type-Options: nosniff");
  if (s?.ReferrerPolicy) lines.push(`Referrer-Policy: ${s.ReferrerPolicy.ReferrerPolicy}`);
  if (s?.XSSProtection)
    lines.push(
      `X-XSS-Protection: ${s.XSSProtection.Protection ? "1" : "0"}${s.XSSProtection.ModeBlock ? "; mode=block" : ""}${s.XSSProtection.ReportUri ? `; report=${s.XSSProtection.ReportUri}` : ""}`,
    );
  for (const h of config.CustomHeadersConfig?.Items ?? []) lines.push(`${h.Header}: ${h.Value}`);
  for (const h of config.RemoveHeadersConfig?.Items ?? []) lines.push(`${h.Header}: removed`);
  return lines;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/;

/**
 * The writes a `/cdn headers-policy` change makes to a custom policy's config: each security header
 * it names, whole (CloudFront keeps them as small objects), the rest of the policy as it is. Pure.
 */
export function compileHeadersPolicyChange(
  spec: Extract<ChangeSpec, { kind: "headers-policy" }>,
  policyId: string,
  config: ResponseHeadersPolicyConfig,
): FieldWrite[] {
  const at = `headersPolicy[${policyId}]`;
  const security = config.SecurityHeadersConfig;
  const writes: FieldWrite[] = [];
  if (spec.hstsMaxAge !== undefined)
    writes.push({
      path: `${at}.SecurityHeadersConfig.StrictTransportSecurity`,
      value: {
        Override: true,
        IncludeSubdomains: security?.StrictTransportSecurity?.IncludeSubdomains ?? true,
        Preload: security?.StrictTransportSecurity?.Preload ?? false,
        AccessControlMaxAgeSec: spec.hstsMaxAge,
      },
    });
  if (spec.csp !== undefined) {
    if (spec.csp !== null && /[\r\n]/.test(spec.csp))
      throw new UserError("A Content-Security-Policy is one line.");
    writes.push({
      path: `${at}.SecurityHeadersConfig.ContentSecurityPolicy`,
      value:
        spec.csp === null || spec.csp === ""
          ? undefined
          : { Override: true, ContentSecurityPolicy: spec.csp },
    });
  }
  if (spec.frameOption !== undefined)
    writes.push({
      path: `${at}.SecurityHeadersConfig.FrameOptions`,
      value: spec.frameOption === null ? undefined : { Override: true, FrameOption: spec.frameOption },
    });
  if (spec.header) {
    const { name, value } = spec.header;
    if (!HEADER_NAME.test(name) || /[\r\n]/.test(value))
      throw new UserError(`${quote(name.slice(0, 100))} is not a header name (or its value spans lines).`);
    const others = (config.CustomHeadersConfig?.Items ?? []).filter(
      (h) => h.Header?.toLowerCase() !== name.toLowerCase(),
    );
    const items = [...others, { Header: name, Value: value, Override: true }];
    writes.push({ path: `${at}.CustomHeadersConfig`, value: { Quantity: items.length, Items: items } });
  }
  if (writes.length === 0)
    throw new UserError(
      "Say what to set: `hsts=<seconds>`, `csp=<policy>`, `frame=DENY|SAMEORIGIN` and/or `header=<Name>:<value>`.",
    );
  return writes;
}

/**
 * A new policy's config and its preview: the headers asked for, written onto an empty policy of
 * that name (the same writes an update makes). Pure.
 */
export function planHeadersPolicyCreate(spec: Extract<ChangeSpec, { kind: "headers-policy-create" }>): {
  config: ResponseHeadersPolicyConfig;
  writes: FieldWrite[];
} {
  const empty: ResponseHeadersPolicyConfig = { Name: spec.name, Comment: "Made by cdnbot" };
  const { kind: _kind, name: _name, ...headers } = spec;
  const writes = compileHeadersPolicyChange(
    { kind: "headers-policy", policy: spec.name, ...headers },
    spec.name,
    empty,
  );
  return { config: applyWrites(empty, writes), writes };
}
