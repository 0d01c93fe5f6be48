import type { TenantInfo } from "../aws/cloudfront-gateway.js";
import type { TenantList, TenantView } from "../distributions/distribution-tenants.js";
import { code, escapeText, plainMessage, type SlackMessage, section } from "./format.js";
import { dataTable, withNativeTable } from "./native-blocks.js";

function tenantState(t: TenantInfo): string {
  return `${t.enabled ? "Enabled" : "Disabled"}, ${escapeText(t.status)}`;
}

function domains(t: TenantInfo): string {
  return t.domains.length > 0 ? t.domains.map(code).join(", ") : "no domain";
}

/** `/cdn tenants <distribution>`: each tenant, its domains and its state. */
export function tenantListMessage(list: TenantList): SlackMessage {
  const head = `*${code(list.alias)}* (${escapeText(list.distributionId)})`;
  if (list.tenants.length === 0)
    return plainMessage(
      `${head} has no tenants: it is not a multi-tenant distribution, or none was made yet.`,
    );
  const lines = list.tenants.map(
    (t) => `• ${code(t.name)} (${escapeText(t.id)}): ${domains(t)} · ${tenantState(t)}`,
  );
  const heading = `${head} has ${list.tenants.length === 1 ? "1 tenant" : `${list.tenants.length} tenants`}:`;
  const table = dataTable(
    `Tenants of ${list.alias} (${list.distributionId})`,
    ["Tenant", "Id", "Domains", "Enabled", "Status"],
    list.tenants.map((t) => [
      t.name,
      t.id,
      t.domains.join(", ") || "no domain",
      t.enabled ? "Enabled" : "Disabled",
      t.status,
    ]),
    20,
  );
  return withNativeTable(plainMessage([heading, ...lines].join("\n")), table, [section(heading)]);
}

/** `/cdn tenants <distribution> <tenant>`: one tenant with its parameters. */
export function tenantMessage(view: TenantView): SlackMessage {
  const t = view.tenant;
  const parameters =
    t.parameters.length > 0
      ? t.parameters.map((p) => `${code(p.name)} = ${code(p.value)}`).join(", ")
      : "none";
  return plainMessage(
    [
      `Tenant ${code(t.name)} (${escapeText(t.id)}) of *${code(view.alias)}* (${escapeText(view.distributionId)}): ${tenantState(t)}`,
      `*Domains:* ${domains(t)}`,
      `*Parameters:* ${parameters}`,
      `*Web ACL:* ${t.webAclArn ? code(t.webAclArn) : "none of its own (its distribution's applies)"}`,
    ].join("\n"),
  );
}
