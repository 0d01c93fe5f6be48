import { createCanvas } from "@napi-rs/canvas";
import { utcHourMinute } from "../text/plain-text.js";
import type { AccessLogReport } from "./access-log-report.js";
import type { StatusClass } from "./access-log-summary.js";

export const LOG_CHART_WIDTH = 1000;
export const LOG_CHART_HEIGHT = 420;

/** Slack's own palette: errors stand out, successes recede. */
const COLORS: Record<StatusClass, string> = {
  "2xx": "#2bac76",
  "3xx": "#1264a3",
  "4xx": "#ecb22e",
  "5xx": "#e01e5a",
  other: "#868686",
};
const ORDER: StatusClass[] = ["2xx", "3xx", "4xx", "5xx", "other"];

/**
 * A PNG of the window's requests over time, one bar per bucket stacked by status class: when the
 * errors began is seen at a glance. Only numbers are drawn (the distribution's alias and id, which
 * the config names): nothing a stranger wrote in the logs.
 */
export function renderAccessLogChart(report: AccessLogReport): Buffer {
  const { timeline } = report.summary;
  const canvas = createCanvas(LOG_CHART_WIDTH, LOG_CHART_HEIGHT);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, LOG_CHART_WIDTH, LOG_CHART_HEIGHT);
  ctx.fillStyle = "#1d1c1d";
  ctx.font = "bold 20px sans-serif";
  ctx.fillText(
    `${report.alias} (${report.distributionId}) · requests by status, last ${report.window.label}`,
    20,
    32,
  );
  const plot = { x: 60, y: 60, w: LOG_CHART_WIDTH - 80, h: LOG_CHART_HEIGHT - 120 };
  const bars = timeline.counts["2xx"].length;
  const totals = Array.from({ length: bars }, (_, i) =>
    ORDER.reduce((n, k) => n + timeline.counts[k][i]!, 0),
  );
  const max = Math.max(1, ...totals);
  ctx.strokeStyle = "#dddddd";
  ctx.lineWidth = 1;
  ctx.strokeRect(plot.x, plot.y, plot.w, plot.h);
  ctx.fillStyle = "#616061";
  ctx.font = "13px sans-serif";
  ctx.fillText(String(max), 10, plot.y + 12);
  ctx.fillText("0", 10, plot.y + plot.h);
  const width = plot.w / bars;
  for (let i = 0; i < bars; i++) {
    let top = plot.y + plot.h;
    for (const klass of ORDER) {
      const height = (timeline.counts[klass][i]! / max) * (plot.h - 4);
      if (height <= 0) continue;
      ctx.fillStyle = COLORS[klass];
      ctx.fillRect(plot.x + i * width + 1, top - height, Math.max(1, width - 2), height);
      top -= height;
    }
  }
  ctx.fillStyle = "#616061";
  ctx.fillText(`${utcHourMinute(timeline.fromMs)} UTC`, plot.x, plot.y + plot.h + 20);
  const end = `${utcHourMinute(timeline.fromMs + bars * timeline.bucketMs)} UTC`;
  ctx.fillText(end, plot.x + plot.w - ctx.measureText(end).width, plot.y + plot.h + 20);
  let legend = plot.x;
  for (const klass of ORDER) {
    ctx.fillStyle = COLORS[klass];
    ctx.fillRect(legend, LOG_CHART_HEIGHT - 26, 14, 14);
    ctx.fillStyle = "#1d1c1d";
    const label = `${klass} ${report.summary.statuses[klass]}`;
    ctx.fillText(label, legend + 20, LOG_CHART_HEIGHT - 14);
    legend += 40 + ctx.measureText(label).width;
  }
  return canvas.toBuffer("image/png");
}
