import type { KnownBlock } from "@slack/types";
import type { AccessLogReport } from "../logs/access-log-report.js";
import type { Ranked } from "../logs/access-log-summary.js";
import { describeFilter } from "../logs/log-query.js";
import { formatMetricValue } from "../metrics/metric-format.js";
import { formatCount, plural } from "../text/plain-text.js";
import {
  code,
  context,
  escapeText,
  formatDuration,
  formatTime,
  mention,
  type SlackMessage,
  section,
} from "./format.js";
import { type Cell, dataTable } from "./native-blocks.js";

/** A count as the summary knows it: `~` where the bounded counter may have counted a few too many. */
function counted(entry: { count: number; exact: boolean }): string {
  return `${entry.exact ? "" : "~"}${formatCount(entry.count)}`;
}

function rankedLines(title: string, entries: readonly Ranked[]): string {
  if (entries.length === 0) return `*${title}*\nnone`;
  return `*${title}*\n${entries.map((e) => `${counted(e)}  ${code(e.value)}`).join("\n")}`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${((part / whole) * 100).toFixed(part === whole || part === 0 ? 0 : 1)}%`;
}

/** The numbers in one plain paragraph: the message's `text`, and what a screen reader or a notification shows. */
export function accessLogText(report: AccessLogReport): string {
  const s = report.summary;
  const head = `Access logs for ${report.alias} (${report.distributionId}), last ${report.window.label}${
    describeFilter(report.filter).length > 0 ? `, ${describeFilter(report.filter).join(" ")}` : ""
  }`;
  if (report.state === "logging-off")
    return `${head}: access logging is off. The distribution has no standard logging (legacy) and no logging v2 delivery, so there is nothing to read. Turn it on with /cdn logging ${report.alias} on.`;
  if (report.state === "unreadable")
    return `${head}: none of the places it logs to can be read by the bot: ${report.notes.join(" ")}`;
  if (report.state === "no-files")
    return `${head}: no log file for this window yet in ${report.locations.join(", ")}. CloudFront delivers access logs minutes late (usually within the hour).`;
  const statuses = Object.entries(s.statuses)
    .filter(([, n]) => n > 0)
    .map(([klass, n]) => `${klass} ${formatCount(n)}`)
    .join(", ");
  return `${head}: ${plural(s.requests, "request")}, ${formatMetricValue("BytesDownloaded", s.bytes)} sent${
    s.cacheHitRatio !== undefined ? `, cache hit ratio ${(s.cacheHitRatio * 100).toFixed(1)}%` : ""
  }${statuses ? ` (${statuses})` : ""}.`;
}

/**
 * `/cdn logs`: the window's totals, the status mix, and the top paths, clients, edges, user agents
 * and slowest paths. Every value the logs hold (a path, an agent) was written by a stranger on the
 * internet: each is shown as inline code, escaped, never as a link or a mention.
 */
export function accessLogMessage(report: AccessLogReport, requestedBy: string, nowMs: number): SlackMessage {
  const plainText = accessLogText(report);
  const text = escapeText(plainText);
  const filters = describeFilter(report.filter);
  const blocks: KnownBlock[] = [
    section(
      `:mag: *Access logs for ${code(report.alias)}* (${escapeText(report.distributionId)}), last ${report.window.label}${
        filters.length > 0 ? `, ${filters.map(code).join(" ")}` : ""
      }, asked by ${mention(requestedBy)}`,
    ),
  ];
  if (report.state !== "read") {
    blocks.push(section(escapeText(plainText.slice(plainText.indexOf(": ") + 2))));
    if (report.notes.length > 0 && report.state !== "unreadable")
      blocks.push(context(escapeText(report.notes.join("\n"))));
    return { text, blocks };
  }
  const s = report.summary;
  blocks.push({
    type: "section",
    fields: [
      { type: "mrkdwn", text: `*Requests*\n${formatCount(s.requests)}` },
      { type: "mrkdwn", text: `*Bytes sent*\n${formatMetricValue("BytesDownloaded", s.bytes)}` },
      {
        type: "mrkdwn",
        text: `*Cache hit ratio*\n${s.cacheHitRatio === undefined ? "no hits or misses" : `${(s.cacheHitRatio * 100).toFixed(1)}%`}`,
      },
      {
        type: "mrkdwn",
        text: `*Status*\n${Object.entries(s.statuses)
          .filter(([klass, n]) => n > 0 || klass !== "other")
          .map(([klass, n]) => `${klass} ${formatCount(n)} (${percent(n, s.requests)})`)
          .join(" · ")}`,
      },
    ],
  });
  if (s.requests > 0) {
    blocks.push(section(rankedLines("Top paths", s.topPaths)));
    blocks.push(
      section(
        rankedLines(
          report.clientIpsMasked ? "Top client networks (addresses masked)" : "Top client IPs",
          s.topClientIps,
        ),
      ),
    );
    blocks.push(section(rankedLines("Top edge locations", s.topEdges)));
    blocks.push(section(rankedLines("Top user agents", s.topUserAgents)));
    if (s.slowestPaths.length > 0)
      blocks.push(
        section(
          `*Slowest paths* (mean time-taken, at least 5 requests)\n${s.slowestPaths
            .map((p) => `${(p.meanSeconds * 1000).toFixed(0)} ms  ${code(p.value)} (${formatCount(p.count)})`)
            .join("\n")}`,
        ),
      );
  }
  const read = [
    `Read ${plural(report.files, "log file")} (${formatMetricValue("BytesDownloaded", report.bytesRead)} gzipped, ${plural(s.linesRead, "line")}) from ${report.locations.join(", ")}.`,
    ...(report.newestFileAt !== undefined
      ? [
          `The newest was written ${formatTime(report.newestFileAt)}, ${formatDuration(nowMs - report.newestFileAt)} ago: requests since are not in these numbers yet.`,
        ]
      : []),
    ...(report.truncatedAt !== undefined
      ? [
          `Stopped at the read limit (accessLogs.maxReadMegabytes): files from ${formatTime(report.truncatedAt)} on were not read.`,
        ]
      : []),
    ...(report.malformedLines > 0
      ? [`${plural(report.malformedLines, "line")} could not be read and were skipped.`]
      : []),
    ...(report.clientIpsMasked
      ? ["Client addresses are masked: the config shows them whole only to the people it names."]
      : []),
    ...report.notes,
    ...(s.requests > 0 && (report.clientIpsMasked || s.topClientIps.length === 0)
      ? ["A chart of the requests by status over the window is in the thread."]
      : []),
  ];
  blocks.push(context(escapeText(read.join("\n"))));
  if (s.requests === 0) return { text, blocks };
  // Natively, the top paths are a table (sortable, as typed); the other rankings stay as they are.
  const table = dataTable(
    `Top paths, ${report.alias}, last ${report.window.label}`,
    ["Path", "Requests", "Share"],
    s.topPaths.map((p): Cell[] => [
      p.value,
      { number: p.count, text: counted(p) },
      percent(p.count, s.requests),
    ]),
    10,
  );
  if (!table) return { text, blocks };
  const topPathsAt = blocks.findIndex(
    (b) => b.type === "section" && JSON.stringify(b).includes("*Top paths*"),
  );
  return {
    text,
    blocks: blocks.map((b, i) => (i === topPathsAt ? table : b)),
    plainBlocks: blocks,
  };
}

/** Where a distribution's access logs go (`/cdn logging <distribution> show`). */
export function loggingMessage(shown: {
  alias: string;
  distributionId: string;
  locations: string[];
  notes: string[];
}): SlackMessage {
  const head = `Access logs of ${shown.alias} (${shown.distributionId})`;
  const plainText =
    shown.locations.length === 0
      ? `${head}: off. Neither standard logging (legacy) nor a logging v2 delivery is on. Turn it on with /cdn logging ${shown.alias} on to=s3:<bucket>.`
      : `${head} go to: ${shown.locations.join("; ")}.`;
  const blocks: KnownBlock[] = [
    section(
      shown.locations.length === 0
        ? escapeText(plainText)
        : `*Access logs of ${code(shown.alias)}* (${escapeText(shown.distributionId)}) go to:\n${shown.locations.map((l) => `• ${escapeText(l)}`).join("\n")}`,
    ),
  ];
  if (shown.notes.length > 0) blocks.push(context(escapeText(shown.notes.join("\n"))));
  return { text: escapeText(plainText), blocks };
}
