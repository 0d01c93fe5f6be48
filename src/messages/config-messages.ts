import { formatFieldValue } from "../changes/describe-change.js";
import { describeHeaders, type HeadersView } from "../changes/response-headers.js";
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

/** `/cdn headers <distribution> show [behaviour]`: the headers its responses get from CloudFront. */
export function headersMessage(view: HeadersView): SlackMessage {
  const where = `${view.behavior === "default" ? "the default behaviour" : `behaviour ${code(view.behavior)}`} of *${code(view.alias)}* (${escapeText(view.id)})`;
  if (!view.policy)
    return plainMessage(
      `${where} has no response headers policy: its responses carry only what the origin sends. \`/cdn headers ${escapeText(view.alias)} Managed-SecurityHeadersPolicy\` adds AWS's security headers.`,
    );
  const lines = describeHeaders(view.policy.config);
  return plainMessage(
    `${where} uses response headers policy ${code(view.policy.config.Name ?? view.policy.id)} (${escapeText(view.policy.id)}), so its responses get:\n${lines.length ? lines.map((l) => `• ${code(l)}`).join("\n") : "• (no headers)"}`,
  );
}

/** `/cdn waf <distribution> show`: the web ACL in front of it, if any. */
export function webAclMessage(view: ConfigView): SlackMessage {
  const acl = view.config.WebACLId;
  const name = acl ? /\/webacl\/([^/]+)\//.exec(acl)?.[1] : undefined;
  return plainMessage(
    acl
      ? `*${code(view.alias)}* (${escapeText(view.id)}) is behind web ACL ${code(name ?? acl)} (${escapeText(acl)}). \`/cdn waf ${escapeText(view.alias)} detach\` takes it away.`
      : `*${code(view.alias)}* (${escapeText(view.id)}) has no web ACL: AWS WAF filters none of its requests. \`/cdn waf ${escapeText(view.alias)} attach <web-acl-arn>\` puts one the config lists in front of it.`,
  );
}

/** `/cdn cache-tags <dist> show`: whether tag purges work on it, and from which header. */
export function cacheTagsMessage(view: ConfigView): SlackMessage {
  const header = view.config.CacheTagConfig?.HeaderName;
  return plainMessage(
    header
      ? `*${code(view.alias)}* (${escapeText(view.id)}) reads cache tags from its origin's ${code(header)} header: \`/cdn purge ${escapeText(view.alias)} tag:<tag>\` purges every object so tagged.`
      : `*${code(view.alias)}* (${escapeText(view.id)}) reads no cache tags, so purges by tag do nothing there. \`/cdn cache-tags ${escapeText(view.alias)} header=Cache-Tag\` turns them on (name the header your origin lists tags in).`,
  );
}

export function configMessage(view: ConfigView): SlackMessage {
  const { alias, id, config, behavior } = view;
  if (behavior) return plainMessage(behaviorLines(behavior.name, behavior.settings).join("\n"));
  const geo = config.Restrictions?.GeoRestriction;
  const lines = [
    `*${code(alias)}* (${escapeText(id)}): ${config.Enabled ? "Enabled" : "Disabled"}, price class ${escapeText(config.PriceClass ?? "?")}, default root object ${code(config.DefaultRootObject || "(none)")}, comment ${code(config.Comment || "(none)")}`,
    `*Geographic restriction:* ${escapeText(formatFieldValue(geo))}`,
    `*Web ACL:* ${config.WebACLId ? code(config.WebACLId) : "(none)"}`,
    `*Cache tags:* ${config.CacheTagConfig?.HeaderName ? `read from ${code(config.CacheTagConfig.HeaderName)}` : "off"}`,
    `*Origins:* ${(config.Origins?.Items ?? []).map((o) => `${code(o.Id ?? "")} → ${code(`${o.DomainName ?? ""}${o.OriginPath ?? ""}`)}`).join(", ")}`,
    ...behaviorLines("default", config.DefaultCacheBehavior as unknown as Record<string, unknown>),
    ...(config.CacheBehaviors?.Items ?? []).flatMap((b) =>
      behaviorLines(b.PathPattern ?? "", b as unknown as Record<string, unknown>),
    ),
  ];
  return plainMessage(lines.join("\n"));
}
