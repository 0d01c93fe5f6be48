import type { KnownBlock } from "@slack/types";
import type { DistributionInfo, InvalidationInfo } from "../aws/cloudfront-gateway.js";
import { code, context, type SlackMessage, section } from "./format.js";

const STATE_EMOJI: Record<string, string> = {
  Deployed: ":large_green_circle:",
  InProgress: ":large_yellow_circle:",
};

function distributionLine(alias: string, d: DistributionInfo): string {
  const aliases = d.aliases.length > 0 ? d.aliases.map(code).join(", ") : "none";
  return (
    `${STATE_EMOJI[d.status] ?? ":white_circle:"} *${code(alias)}* (${d.id}) · *${d.status}* · ` +
    `${d.enabled ? "Enabled" : "Disabled"} · ${code(d.domainName)} · aliases: ${aliases}`
  );
}

function invalidationLine(inv: InvalidationInfo): string {
  const when = inv.createTime ? ` · created ${inv.createTime.toISOString().replace(".000Z", "Z")}` : "";
  return `${code(inv.id)} · *${inv.status}*${when}`;
}

export function distributionStatusMessage(
  alias: string,
  dist: DistributionInfo,
  invalidations: InvalidationInfo[],
): SlackMessage {
  const recent = invalidations.slice(0, 10);
  const invText = recent.length > 0 ? recent.map(invalidationLine).join("\n") : "No invalidations yet.";
  const text =
    `${alias} (${dist.id}) is ${dist.status}, ${dist.enabled ? "Enabled" : "Disabled"}, domain ${dist.domainName}` +
    `${dist.aliases.length ? `, aliases ${dist.aliases.join(", ")}` : ""}. ` +
    `Recent invalidations: ${recent.length ? recent.map((i) => `${i.id} ${i.status}`).join(", ") : "none"}.`;
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
): SlackMessage {
  const paths = inv.paths ?? [];
  const shown = paths.slice(0, 20).map(code).join(", ");
  const more = paths.length > 20 ? ` and ${paths.length - 20} more` : "";
  const when = inv.createTime ? `, created ${inv.createTime.toISOString()}` : "";
  const text = `Invalidation ${inv.id} on ${alias} (${distributionId}) is ${inv.status}${when}; ${paths.length} paths.`;
  return {
    text,
    blocks: [
      section(`Invalidation ${code(inv.id)} on *${code(alias)}* (${distributionId}): *${inv.status}*${when}`),
      ...(paths.length > 0 ? [section(`*Paths:* ${shown}${more}`)] : []),
    ],
  };
}

export type ListEntry = { alias: string; id: string; description?: string } & (
  | { dist: DistributionInfo }
  | { problem: string }
);

export function distributionListMessage(entries: ListEntry[]): SlackMessage {
  const lines = entries.map((e) => {
    const desc = e.description ? ` — ${e.description}` : "";
    return "dist" in e
      ? `${distributionLine(e.alias, e.dist)}${desc}`
      : `:warning: *${code(e.alias)}* (${e.id})${desc}: ${e.problem}`;
  });
  const text = `Distributions I may act on: ${entries
    .map((e) => `${e.alias} (${e.id}) ${"dist" in e ? e.dist.status : "unknown"}`)
    .join(", ")}.`;
  return { text, blocks: [section(`*Distributions I may act on*\n${lines.join("\n")}`)] };
}
