import { describeAwsError } from "../aws/aws-errors.js";
import type { ParameterDefinition, TenantDocument } from "../aws/cloudfront-gateway.js";
import { tenantNamed } from "../distributions/distribution-tenants.js";
import { UserError } from "../errors.js";
import type { ChangeSpec, FieldDiff, FieldWrite } from "../store/change-spec.js";
import { quote } from "../text/plain-text.js";
import type { ChangeDeps } from "./change-deps.js";
import { checkWebAclArn, diffWrites } from "./plan-change.js";

/**
 * The field writes a change means for one tenant: whether it serves, its own web ACL, its
 * parameters (each defined by its distribution, a required one never taken away). What a tenant
 * does not have of its own is refused, saying where it lives.
 */
export function compileTenantChange(
  spec: ChangeSpec,
  tenant: { name: string; alias: string },
  definitions: readonly ParameterDefinition[],
): FieldWrite[] {
  switch (spec.kind) {
    case "enabled":
      return [{ path: "tenant.Enabled", value: spec.enabled }];
    case "web-acl":
      checkWebAclArn(spec.webAclArn);
      return [{ path: "tenant.WebACLArn", value: spec.webAclArn ?? "" }];
    case "tenant-parameters":
      return Object.entries(spec.set).map(([name, value]) => {
        checkParameter(name, value, tenant, definitions);
        return { path: `tenant.Parameters.${name}`, value: value ?? undefined };
      });
    case "rollback":
      return spec.writes;
    default:
      throw new UserError(
        `A tenant has no ${spec.kind} of its own: it is ${quote(tenant.alias)}'s, shared by every tenant. ` +
          `Change it on ${quote(tenant.alias)}; a tenant's own are \`enable\`, \`disable\`, \`params\` and \`waf\`. Nothing was sent.`,
      );
  }
}

function checkParameter(
  name: string,
  value: string | null,
  tenant: { name: string; alias: string },
  definitions: readonly ParameterDefinition[],
): void {
  const definition = definitions.find((d) => d.Name === name);
  if (!definition) {
    const names = definitions.map((d) => quote(d.Name ?? ""));
    throw new UserError(
      names.length === 0
        ? `${quote(tenant.alias)} defines no parameters for its tenants, so ${quote(tenant.name)} takes none. Nothing was sent.`
        : `${quote(tenant.alias)} defines no parameter ${quote(name)}; its tenants take ${names.join(", ")}. Nothing was sent.`,
    );
  }
  if (value === null && definition.Definition?.StringSchema?.Required)
    throw new UserError(
      `${quote(name)} is a required parameter of ${quote(tenant.alias)}'s tenants: give it another value rather than taking it away. Nothing was sent.`,
    );
}

/** A tenant change previewed: the tenant it writes, and before → after of its fields. */
export type TenantPreview = { tenant: { name: string; id: string }; diffs: FieldDiff[] };

/**
 * Reads the tenant (and, for parameters, its distribution's definitions of them) and says what the
 * change would do. Nothing is written.
 */
export async function previewTenantChange(
  deps: Pick<ChangeDeps, "cloudfront">,
  target: { alias: string; id: string },
  tenantName: string,
  spec: ChangeSpec,
  definitions: readonly ParameterDefinition[],
): Promise<TenantPreview> {
  // What cannot apply to a tenant is refused before anything is read.
  const writes = compileTenantChange(spec, { name: tenantName, alias: target.alias }, definitions);
  const found = await tenantNamed(deps.cloudfront, target, tenantName, "Nothing was sent.");
  let doc: TenantDocument;
  try {
    doc = (await deps.cloudfront.getTenantDocument(found.id, target.id)).config;
  } catch (error) {
    throw new UserError(
      `I could not read tenant ${quote(tenantName)}: ${describeAwsError(error).explanation}`,
    );
  }
  return { tenant: { name: found.name, id: found.id }, diffs: diffWrites(doc, writes) };
}
