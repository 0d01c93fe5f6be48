import { utcHourMinute } from "../text/plain-text.js";
import type { IncidentFacts } from "../watch/incident-summary.js";
import { describeAuditType } from "./audit-words.js";
import { code, escapeText, mention, plural, type SlackMessage, section } from "./format.js";
import { statsLines } from "./stats-messages.js";

const clockTime = (at: number) => `${utcHourMinute(at)} UTC`;

/** One message that sums up a distribution now; every value from people or AWS is escaped. */
export function incidentSummaryMessage(f: IncidentFacts): SlackMessage {
  const state =
    "info" in f.distribution
      ? `*${escapeText(f.distribution.info.status)}*, ${f.distribution.info.enabled ? "Enabled" : "Disabled"}, ${code(f.distribution.info.domainName)}`
      : `unknown (${escapeText(f.distribution.problem)})`;
  const rates =
    "report" in f.stats
      ? f.stats.report.noData
        ? ["no CloudWatch data in the last hour"]
        : statsLines(f.stats.report).filter((l) => /error rate|Requests/.test(l))
      : [escapeText(f.stats.problem)];
  const inFlight = f.inFlight.map(
    (o) =>
      `purge of ${plural(o.paths.length, "path")} by ${mention(o.requestedBy.userId)} (${o.invalidationId ? `invalidation ${escapeText(o.invalidationId)}` : "queued"})`,
  );
  const pending = f.pending.map((r) => `${escapeText(r.id)} by ${mention(r.requestedBy.userId)}`);
  const recent = f.recent.map(
    (e) =>
      `${clockTime(e.at)} ${escapeText(describeAuditType(e.type))} by ${e.actor ? mention(e.actor.userId) : "cdnbot"}: ${escapeText(e.summary)}`,
  );
  const lines = [
    `:rotating_light: *Incident summary for ${code(f.alias)}* (${escapeText(f.distributionId)}) at ${clockTime(f.at)}`,
    `*State:* ${state}`,
    `*In flight:* ${inFlight.length === 0 ? "no purges" : inFlight.join("; ")}`,
    `*Waiting for approval:* ${pending.length === 0 ? "nothing" : pending.join(", ")}`,
    `*Last changes:* ${recent.length === 0 ? "none recorded" : recent.join("; ")}`,
    `*Error rates, last hour:*\n${rates.map((l) => `• ${l}`).join("\n")}`,
  ];
  const text = lines.join("\n");
  return { text, blocks: [section(text)] };
}
