import type { KnownBlock } from "@slack/types";
import type { StatsReport } from "../metrics/distribution-stats.js";
import { formatChange, formatMetricValue, METRIC_LABEL } from "../metrics/metric-format.js";
import { sparkline } from "../metrics/sparkline.js";
import { code, context, escapeText, formatDuration, mention, type SlackMessage, section } from "./format.js";
import { type ChartMark, lineChart } from "./native-blocks.js";

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

/**
 * The window's two native charts: requests, and the 4xx and 5xx error rates, with the purges and
 * deploys of the window marked (at most two charts in a message, Slack says).
 */
export function statsCharts(report: StatsReport, marks: readonly ChartMark[] = []): KnownBlock[] {
  const points = (metric: string) => report.summaries.find((s) => s.metric === metric)?.points ?? [];
  const span = { fromMs: report.endMs - report.window.ms, toMs: report.endMs, marks };
  const where = `${report.alias}, last ${report.window.label}`;
  return [
    lineChart({
      title: `Requests, ${where}`,
      series: [{ name: "Requests", points: points("Requests") }],
      combine: "sum",
      yLabel: `Requests per ${report.window.ms / 20 < 3_600_000 ? `${Math.round(report.window.ms / 20 / 60_000)} min` : formatDuration(report.window.ms / 20)}`,
      ...span,
    }),
    lineChart({
      title: `Error rates, ${where}`,
      series: [
        { name: "5xx %", points: points("5xxErrorRate") },
        { name: "4xx %", points: points("4xxErrorRate") },
        { name: "all errors %", points: points("TotalErrorRate") },
      ].filter((x) => x.points.length > 0),
      combine: "mean",
      yLabel: "% of requests",
      ...span,
    }),
  ].filter((c): c is KnownBlock => c !== undefined);
}

export function statsMessage(
  report: StatsReport,
  requestedBy: string,
  marks: readonly ChartMark[] = [],
): SlackMessage {
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
  // Natively, the charts follow the numbers; the PNG in the thread stays for every workspace.
  const charts = statsCharts(report, marks);
  if (charts.length === 0) return { text, blocks };
  return { text, blocks: [...blocks.slice(0, 2), ...charts, ...blocks.slice(2)], plainBlocks: blocks };
}
