import { createCanvas } from "@napi-rs/canvas";
import { utcHourMinute } from "../text/plain-text.js";
import type { StatsReport } from "./distribution-stats.js";
import { formatMetricValue, METRIC_LABEL } from "./metric-format.js";

export const CHART_WIDTH = 1000;
export const CHART_HEIGHT = 720;

/** A PNG with one small line chart per metric, for people who would rather look than read. */
export function renderStatsChart(
  report: StatsReport,
  marks: readonly { at: number; label: string }[] = [],
): Buffer {
  const canvas = createCanvas(CHART_WIDTH, CHART_HEIGHT);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, CHART_WIDTH, CHART_HEIGHT);
  ctx.fillStyle = "#1d1c1d";
  ctx.font = "bold 20px sans-serif";
  ctx.fillText(`${report.alias} (${report.distributionId}) · last ${report.window.label}`, 20, 32);

  const cols = 2;
  const cellW = (CHART_WIDTH - 40) / cols;
  const cellH = (CHART_HEIGHT - 60) / Math.ceil(report.summaries.length / cols);
  const start = report.endMs - report.window.ms;
  report.summaries.forEach((summary, i) => {
    const x0 = 20 + (i % cols) * cellW;
    const y0 = 50 + Math.floor(i / cols) * cellH;
    const plot = { x: x0 + 10, y: y0 + 30, w: cellW - 30, h: cellH - 50 };
    ctx.fillStyle = "#1d1c1d";
    ctx.font = "14px sans-serif";
    const value =
      summary.current === undefined ? "no data" : formatMetricValue(summary.metric, summary.current);
    ctx.fillText(`${METRIC_LABEL[summary.metric]}: ${value}`, plot.x, y0 + 20);
    ctx.strokeStyle = "#dddddd";
    ctx.lineWidth = 1;
    ctx.strokeRect(plot.x, plot.y, plot.w, plot.h);
    if (summary.points.length === 0) return;
    const max = Math.max(...summary.points.map((p) => p.value), 1e-9);
    // Axes: the top of the scale with its unit, zero, and the window's ends (UTC).
    ctx.fillStyle = "#616061";
    ctx.font = "11px sans-serif";
    ctx.fillText(formatMetricValue(summary.metric, max), plot.x + 3, plot.y + 12);
    ctx.fillText("0", plot.x + 3, plot.y + plot.h - 3);
    ctx.fillText(`${utcHourMinute(start)} UTC`, plot.x, plot.y + plot.h + 13);
    const end = `${utcHourMinute(report.endMs)} UTC`;
    ctx.fillText(end, plot.x + plot.w - ctx.measureText(end).width, plot.y + plot.h + 13);
    // The window's purges and deploys, as dashed lines with their names.
    ctx.strokeStyle = "#b0b0b0";
    ctx.setLineDash([4, 3]);
    for (const m of marks) {
      if (m.at < start || m.at > report.endMs) continue;
      const mx = plot.x + ((m.at - start) / report.window.ms) * plot.w;
      ctx.beginPath();
      ctx.moveTo(mx, plot.y);
      ctx.lineTo(mx, plot.y + plot.h);
      ctx.stroke();
      ctx.fillText(m.label, mx + 2, plot.y + 24);
    }
    ctx.setLineDash([]);
    ctx.strokeStyle = summary.metric.includes("Error") ? "#e01e5a" : "#1264a3";
    ctx.lineWidth = 2;
    ctx.beginPath();
    summary.points.forEach((p, k) => {
      const px = plot.x + ((p.at - start) / report.window.ms) * plot.w;
      const py = plot.y + plot.h - (p.value / max) * (plot.h - 4);
      if (k === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.stroke();
  });
  return canvas.toBuffer("image/png");
}
