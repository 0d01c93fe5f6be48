import { formatFieldValue } from "../changes/describe-change.js";
import type { ConfigView } from "../changes/show-config.js";
import { code, escapeText, plainMessage, type SlackMessage } from "./format.js";

function behaviorLines(name: string, b: Record<string, unknown>): string[] {
  const lines = [
    `*Behaviour ${code(name)}* → origin ${code(String(b.TargetOriginId ?? "?"))}, viewer protocol ${escapeText(String(b.ViewerProtocolPolicy ?? "?"))}`,
  ];
  if (b.CachePolicyId) lines.push(`  cache policy ${code(String(b.CachePolicyId))}`);
  else
    lines.push(
      escapeText(
        `  TTLs: min ${String(b.MinTTL ?? 0)} s, default ${String(b.DefaultTTL ?? "?")} s, max ${String(b.MaxTTL ?? "?")} s`,
      ),
    );
  if (b.RealtimeLogConfigArn) lines.push(`  real-time logs ${code(String(b.RealtimeLogConfigArn))}`);
  return lines;
}

export function configMessage(view: ConfigView): SlackMessage {
  const { alias, id, config, behavior } = view;
  if (behavior) return plainMessage(behaviorLines(behavior.name, behavior.settings).join("\n"));
  const geo = config.Restrictions?.GeoRestriction;
  const lines = [
    `*${code(alias)}* (${escapeText(id)}): ${config.Enabled ? "Enabled" : "Disabled"}, price class ${escapeText(config.PriceClass ?? "?")}, default root object ${code(config.DefaultRootObject || "(none)")}, comment ${code(config.Comment || "(none)")}`,
    `*Geographic restriction:* ${escapeText(formatFieldValue(geo))}`,
    `*Origins:* ${(config.Origins?.Items ?? []).map((o) => `${code(o.Id ?? "")} → ${code(`${o.DomainName ?? ""}${o.OriginPath ?? ""}`)}`).join(", ")}`,
    ...behaviorLines("default", config.DefaultCacheBehavior as unknown as Record<string, unknown>),
    ...(config.CacheBehaviors?.Items ?? []).flatMap((b) =>
      behaviorLines(b.PathPattern ?? "", b as unknown as Record<string, unknown>),
    ),
  ];
  return plainMessage(lines.join("\n"));
}
