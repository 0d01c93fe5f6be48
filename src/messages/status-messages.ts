import type { KnownBlock } from "@slack/types";
import type { DistributionInfo, InvalidationInfo } from "../aws/cloudfront-gateway.js";
import type { ListEntry } from "../distributions/distribution-status.js";
import { code, context, escapeText, formatTime, type SlackMessage, section } from "./format.js";
import { dataTable, withNativeTable } from "./native-blocks.js";

const STATE_EMOJI: Record<string, string> = {
  Deployed: ":large_green_circle:",
  InProgress: ":large_yellow_circle:",
};

function distributionLine(alias: string, d: DistributionInfo): string {
  const aliases = d.aliases.length > 0 ? d.aliases.map(code).join(", ") : "none";
  return (
    `${STATE_EMOJI[d.status] ?? ":white_circle:"} *${code(alias)}* (${escapeText(d.id)}) · *${escapeText(d.status)}* · ` +
    `${d.enabled ? "Enabled" : "Disabled"} · ${code(d.domainName)} · aliases: ${aliases}`
  );
}

/** How long ago, for people reading a status: "3 min ago". */
export function formatAgo(at: Date, now: number): string {
  const minutes = Math.max(0, Math.round((now - at.getTime()) / 60_000));
  if (minutes < 1) return "just now";
  if (minutes < 90) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

function when(inv: InvalidationInfo, now: number): string {
  return inv.createTime ? `created ${formatTime(inv.createTime)} (${formatAgo(inv.createTime, now)})` : "";
}

function invalidationLine(inv: InvalidationInfo, now: number): string {
  const created = when(inv, now);
  return `${code(inv.id)} · *${escapeText(inv.status)}*${created ? ` · ${created}` : ""}`;
}

export function distributionStatusMessage(
  alias: string,
  dist: DistributionInfo,
  invalidations: InvalidationInfo[],
  now: number = Date.now(),
): SlackMessage {
  const recent = invalidations.slice(0, 10);
  const invText =
    recent.length > 0 ? recent.map((i) => invalidationLine(i, now)).join("\n") : "No invalidations yet.";
  const text = escapeText(
    `${alias} (${dist.id}) is ${dist.status}, ${dist.enabled ? "Enabled" : "Disabled"}, domain ${dist.domainName}` +
      `${dist.aliases.length ? `, aliases ${dist.aliases.join(", ")}` : ""}. ` +
      `Recent invalidations: ${recent.length ? recent.map((i) => `${i.id} ${i.status}`).join(", ") : "none"}.`,
  );
  const blocks: KnownBlock[] = [
    section(distributionLine(alias, dist)),
    section(`*Recent invalidations*\n${invText}`),
  ];
  if (dist.comment) blocks.push(context(`Comment: ${code(dist.comment)}`));
  return { text, blocks };
}

export function invalidationStatusMessage(
  alias: string,
  distributionId: string,
  inv: InvalidationInfo,
  now: number = Date.now(),
): SlackMessage {
  const paths = inv.paths ?? [];
  const shown = paths.slice(0, 20).map(code).join(", ");
  const more = paths.length > 20 ? ` and ${paths.length - 20} more` : "";
  const created = when(inv, now);
  const text = escapeText(
    `Invalidation ${inv.id} on ${alias} (${distributionId}) is ${inv.status}${created ? `, ${created}` : ""}; ${paths.length} paths.`,
  );
  return {
    text,
    blocks: [
      section(
        `Invalidation ${code(inv.id)} on *${code(alias)}* (${escapeText(distributionId)}): *${escapeText(inv.status)}*${created ? `, ${created}` : ""}`,
      ),
      ...(paths.length > 0 ? [section(`*Paths:* ${shown}${more}`)] : []),
    ],
  };
}

export function distributionListMessage(
  entries: ListEntry[],
  stores: readonly { alias: string; description?: string | undefined }[] = [],
): SlackMessage {
  const lines = entries.map((e) => {
    const desc = e.description ? ` — ${escapeText(e.description)}` : "";
    return "dist" in e
      ? `${distributionLine(e.alias, e.dist)}${desc}`
      : `:warning: *${code(e.alias)}* (${escapeText(e.id)})${desc}: ${escapeText(e.problem)}`;
  });
  const text = escapeText(
    `Distributions I may act on: ${entries
      .map((e) => `${e.alias} (${e.id}) ${"dist" in e ? e.dist.status : "unknown"}`)
      .join(", ")}.`,
  );
  // The key-value stores `/cdn kv` may use, from the config (nothing is read for them here).
  const storeLines = stores.map(
    (s) => `• ${code(s.alias)}${s.description ? ` — ${escapeText(s.description)}` : ""}`,
  );
  const storeBlocks = stores.length
    ? [section(`*Key-value stores* (\`/cdn kv <store> list\`)\n${storeLines.join("\n")}`)]
    : [];
  const classic = {
    text: stores.length
      ? `${text} ${escapeText(`Key-value stores: ${stores.map((s) => s.alias).join(", ")}.`)}`
      : text,
    blocks: [section(`*Distributions I may act on*\n${lines.join("\n")}`), ...storeBlocks],
  };
  // Natively, one row a distribution: cells are shown as typed, never as markup.
  const table = dataTable(
    "Distributions I may act on",
    ["Distribution", "Id", "Status", "Enabled", "Domain", "Aliases", "Description"],
    entries.map((e) =>
      "dist" in e
        ? [
            e.alias,
            e.id,
            e.dist.status,
            e.dist.enabled ? "Enabled" : "Disabled",
            e.dist.domainName,
            e.dist.aliases.join(", ") || "none",
            e.description ?? "",
          ]
        : [e.alias, e.id, "unknown", "", "", "", `${e.problem}${e.description ? ` (${e.description})` : ""}`],
    ),
    20,
  );
  const native = withNativeTable(classic, table);
  return table ? { ...native, blocks: [...native.blocks, ...storeBlocks] } : classic;
}
