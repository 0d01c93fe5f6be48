import type { KnownBlock, RawNumberElement, RawTextElement, RichTextBlock } from "@slack/types";
import { utcHourMinute } from "../text/plain-text.js";
import type { SlackMessage } from "./format.js";

/**
 * Slack's native table block (`data_table`, Block Kit reference, May 2026): a header row of plain
 * cells and 1–100 rows, every row as long as the header, at most 20 columns, each cell at least one
 * character, a caption, 1–100 rows a page. Slack also caps a table's characters across its cells
 * (the reference states a cap without a figure we could confirm), so a table here stays within a
 * budget chosen well under it and cuts rows, saying so in the caption.
 */
export const DATA_TABLE_LIMITS = { rows: 100, columns: 20, pageSize: 100, totalChars: 8_000 } as const;

/** A cell: text shown as typed (never markup), a number, or a Slack user (shown as a live mention). */
export type Cell = string | { number: number; text: string } | { user: string };

function cellOf(cell: Cell): RawTextElement | RawNumberElement | RichTextBlock {
  if (typeof cell === "string") return { type: "raw_text", text: cell.length > 0 ? cell : "—" };
  if ("number" in cell) return { type: "raw_number", value: cell.number, text: cell.text || "0" };
  return {
    type: "rich_text",
    elements: [{ type: "rich_text_section", elements: [{ type: "user", user_id: cell.user }] }],
  };
}

function cellChars(cell: Cell): number {
  if (typeof cell === "string") return Math.max(1, cell.length);
  return "number" in cell ? cell.text.length : cell.user.length;
}

/**
 * A `data_table` of the rows that fit (newest or most important first, as given), or undefined
 * where the table cannot be one (no rows, too many columns). `caption` gets how many were cut.
 */
export function dataTable(
  caption: string,
  header: string[],
  rows: Cell[][],
  pageSize = 10,
): KnownBlock | undefined {
  if (rows.length === 0 || header.length === 0 || header.length > DATA_TABLE_LIMITS.columns) return undefined;
  let budget = DATA_TABLE_LIMITS.totalChars - header.reduce((sum, h) => sum + Math.max(1, h.length), 0);
  const kept: Cell[][] = [];
  for (const row of rows.slice(0, DATA_TABLE_LIMITS.rows)) {
    if (row.length !== header.length) throw new Error("a table row must have a cell per column");
    const chars = row.reduce<number>((sum, c) => sum + cellChars(c), 0);
    if (chars > budget) break;
    budget -= chars;
    kept.push(row);
  }
  if (kept.length === 0) return undefined;
  const cut = rows.length - kept.length;
  return {
    type: "data_table",
    caption: cut > 0 ? `${caption} (the first ${kept.length} of ${rows.length})` : caption,
    page_size: Math.min(Math.max(1, pageSize), DATA_TABLE_LIMITS.pageSize),
    rows: [header.map((h) => cellOf(h)), ...kept.map((row) => row.map(cellOf))],
  } as KnownBlock;
}

/**
 * A message whose list is a native table where the workspace takes one: `blocks` hold the table
 * (after any blocks before it), `plainBlocks` the classic rendering the bot falls back to, and
 * `text` stays the plain fallback of both.
 */
export function withNativeTable(
  classic: SlackMessage,
  table: KnownBlock | undefined,
  before: KnownBlock[] = [],
): SlackMessage {
  if (!table) return classic;
  return { text: classic.text, blocks: [...before, table], plainBlocks: classic.blocks };
}

/**
 * Slack's native chart block (`data_visualization`, Block Kit reference, June 2026): a title of at
 * most 50 characters; a line chart of 1–6 series, each with one point per category (at most 20),
 * category labels and series names of at most 20 characters, axis labels of at most 50; at most two
 * charts in a message.
 */
export const CHART_LIMITS = {
  title: 50,
  series: 6,
  categories: 20,
  label: 20,
  axisLabel: 50,
  perMessage: 2,
} as const;

export type ChartSeries = { name: string; points: readonly { at: number; value: number }[] };

/** Something that happened in the window, marked on its category (a purge, a deploy). */
export type ChartMark = { at: number; label: string };

const cut = (text: string, max: number) =>
  [...text].length <= max ? text : `${[...text].slice(0, max - 1).join("")}…`;

/** A bucket's start as its label: to the second where buckets are shorter than a minute. */
function clock(at: number, span: number, width: number): string {
  const iso = new Date(at).toISOString();
  if (span > 24 * 3_600_000) return `${iso.slice(5, 10)} ${utcHourMinute(at)}`;
  return width < 60_000 ? iso.slice(11, 19) : utcHourMinute(at);
}

/**
 * A line chart of a window in at most 20 equal buckets (a bucket's points summed for counts,
 * averaged for rates), each labelled with its start (UTC) and what happened in it; a threshold is
 * a flat series of its own. Undefined where there is nothing to draw.
 */
export function lineChart(chart: {
  title: string;
  fromMs: number;
  toMs: number;
  series: readonly ChartSeries[];
  combine: "sum" | "mean";
  yLabel: string;
  threshold?: { name: string; value: number };
  marks?: readonly ChartMark[];
}): KnownBlock | undefined {
  const span = chart.toMs - chart.fromMs;
  if (span <= 0 || chart.series.every((s) => s.points.length === 0)) return undefined;
  const buckets = CHART_LIMITS.categories;
  const width = span / buckets;
  const bucketOf = (at: number) =>
    Math.min(buckets - 1, Math.max(0, Math.floor((at - chart.fromMs) / width)));
  const marked = Array.from({ length: buckets }, () => new Set<string>());
  for (const m of chart.marks ?? [])
    if (m.at >= chart.fromMs && m.at <= chart.toMs) marked[bucketOf(m.at)]!.add(m.label);
  const categories = Array.from({ length: buckets }, (_, i) => {
    const when = clock(chart.fromMs + i * width, span, width);
    const what = [...marked[i]!].join("+");
    return cut(what ? `${when} ${what}` : when, CHART_LIMITS.label);
  });
  const values = (s: ChartSeries) => {
    const sums = new Array<number>(buckets).fill(0);
    const counts = new Array<number>(buckets).fill(0);
    for (const p of s.points) {
      if (p.at < chart.fromMs || p.at > chart.toMs || !Number.isFinite(p.value)) continue;
      sums[bucketOf(p.at)]! += p.value;
      counts[bucketOf(p.at)]! += 1;
    }
    return sums.map((sum, i) => {
      const v = chart.combine === "sum" ? sum : counts[i]! > 0 ? sum / counts[i]! : 0;
      return Math.round(v * 1000) / 1000;
    });
  };
  const series = [
    ...chart.series.map((s) => ({ name: s.name, values: values(s) })),
    ...(chart.threshold
      ? [{ name: chart.threshold.name, values: new Array<number>(buckets).fill(chart.threshold.value) }]
      : []),
  ].slice(0, CHART_LIMITS.series);
  const names = new Set<string>();
  return {
    type: "data_visualization",
    title: cut(chart.title, CHART_LIMITS.title),
    chart: {
      type: "line",
      series: series.map((s) => {
        let name = cut(s.name, CHART_LIMITS.label);
        while (names.has(name)) name = cut(`${name}'`, CHART_LIMITS.label);
        names.add(name);
        return { name, data: s.values.map((value, i) => ({ label: categories[i]!, value })) };
      }),
      axis_config: {
        categories,
        x_label: cut(
          `Time (UTC)${chart.marks?.length ? ", with purges and deploys" : ""}`,
          CHART_LIMITS.axisLabel,
        ),
        y_label: cut(chart.yLabel, CHART_LIMITS.axisLabel),
      },
    },
  } as unknown as KnownBlock;
}
