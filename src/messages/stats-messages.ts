import type { KnownBlock } from "@slack/types";
import type { StatsReport } from "../metrics/distribution-stats.js";
import { formatChange, formatMetricValue, METRIC_LABEL } from "../metrics/metric-format.js";
import { sparkline } from "../metrics/sparkline.js";
import { code, context, escapeText, mention, type SlackMessage, section } from "./format.js";

export function statsLines(report: StatsReport): string[] {
  return report.summaries
    .filter(
      (s) => !(report.additionalMetricsOff && (s.metric === "CacheHitRate" || s.metric === "OriginLatency")),
    )
    .map((s) => {
      if (s.current === undefined) return `${METRIC_LABEL[s.metric]}: no data`;
      const line = sparkline(s.points.map((p) => p.value));
      return `${METRIC_LABEL[s.metric]}: ${formatMetricValue(s.metric, s.current)} (${formatChange(s.changePercent, report.window.label)}) ${line}`;
    });
}

export function statsMessage(report: StatsReport, requestedBy: string): SlackMessage {
  const head = escapeText(
    `CloudFront metrics for ${report.alias} (${report.distributionId}), last ${report.window.label}`,
  );
  if (report.noData) {
    const text = `${head}: no data. CloudWatch has no datapoints for this distribution in the last ${report.window.label} or the one before: it is new, idle, or its traffic has not been reported yet (CloudFront metrics arrive a few minutes late).`;
    return { text, blocks: [section(text)] };
  }
  const lines = statsLines(report);
  const notes: string[] = [];
  if (report.additionalMetricsOff) {
    notes.push(
      "Cache hit rate and origin latency are not shown: this distribution does not have CloudFront's additional metrics enabled (CloudFront console → Telemetry → Monitoring).",
    );
  }
  const text = `${head}:\n${lines.join("\n")}${notes.length ? `\n${notes.join("\n")}` : ""}`;
  const blocks: KnownBlock[] = [
    section(
      `:bar_chart: *Metrics for ${code(report.alias)}* (${escapeText(report.distributionId)}), last ${report.window.label}, asked by ${mention(requestedBy)}`,
    ),
    section(lines.map((l) => `• ${l}`).join("\n")),
  ];
  if (notes.length > 0) blocks.push(context(notes.join("\n")));
  blocks.push(context("A chart is in the thread."));
  return { text, blocks };
}
